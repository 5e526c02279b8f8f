"""Clinical records benchmark: the patient directory's search and opening a patient file.

    .venv/bin/python benchmarks/bench_records.py [--patients 50000] [--runs 30]

In a throw-away clinic (dropped at the end) holding ``--patients`` patients with
Spanish names, phones, national IDs and dates of birth, signed in as a clinic admin who is also a practitioner
through Django's test client (the full request: middleware, tenancy, permissions,
templates, the access-log write), it prints the median and p95 server time and the
number of queries of:
- the directory page searching a surname, a phone number and two name prefixes
  (PostgreSQL full-text search on the trigger-kept ``search_document``, GIN index);
- the same search as a database query alone, and, as the baseline in the same run,
  the plain ``icontains`` search over the same fields that it replaces;
- the file of a patient with 200 visits, 20 odontogram versions and 50 documents;
  baseline: Wagtail's own edit page of the same patient.
The targets (issue 10): search ≤ 50 ms median; the file ≤ 150 ms median with a query
count that does not grow with the record (measured again with half the visits).
"""

import argparse
import io
import os
import random
import sys
import time as clock
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.models import Patient, Practitioner  # noqa: E402
from clinic.models.people import search_index_preferred  # noqa: E402
from clinic.records.models import ClinicalDocument, OdontogramVersion, Visit  # noqa: E402
from clinic.roles import Role  # noqa: E402
from clinic.staff import add_staff_member  # noqa: E402
from portal.tenancy import clinic_context, public_context  # noqa: E402
from tenants.models import Clinic  # noqa: E402
from tenants.services import create_clinic, ensure_platform  # noqa: E402

from benchlib import keep_one_connection, summary, timed  # noqa: E402

PASSWORD = "Bench-Password-2026"
FIRST = ["María", "José", "Lucía", "Antonio", "Carmen", "Manuel", "Elena", "Francisco", "Isabel", "David", "Paula", "Javier", "Laura", "Daniel",
         "Marta", "Alejandro", "Sara", "Pablo", "Ana", "Sergio", "Cristina", "Jorge", "Núria", "Íñigo", "Begoña", "Raúl", "Rocío", "Adrián"]
LAST = ["García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz",
        "Álvarez", "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano",
        "Blanco", "Molina", "Morales", "Suárez", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez", "Iglesias"]




def fill_patients(count):
    rng = random.Random(10)
    batch = []
    for i in range(count):
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)} {rng.choice(LAST)}"
        batch.append(Patient(first_name=first, last_name=last, phone=f"+34 6{rng.randrange(10**8):08d}",
                             email=f"p{i}@correo.example", national_id=f"{rng.randrange(10**8):08d}{rng.choice('TRWAGMYFPDXBNJZSQVHLCKE')}",
                             date_of_birth=date(1930, 1, 1) + timedelta(days=rng.randrange(80 * 365))))
        if len(batch) == 5000:
            Patient.objects.bulk_create(batch)
            batch = []
    Patient.objects.bulk_create(batch)


def fill_record(patient, author, practitioner, *, visits=200, versions=20, documents=50):
    from PIL import Image

    now = timezone.now()
    Visit.objects.bulk_create(Visit(patient=patient, practitioner=practitioner, author=author, date=(now - timedelta(days=7 * i)).date(),
                                    opened_at=now - timedelta(days=7 * i), signed_at=now - timedelta(days=7 * i), reason=f"Revisión {i}",
                                    findings="Sin hallazgos relevantes.", diagnosis="Caries de esmalte", diagnosis_code="K02.0",
                                    procedure="Obturación", private_note="Nota") for i in range(visits))
    teeth = ["11", "16", "26", "36", "46", "18", "28", "38", "48", "21"]
    OdontogramVersion.objects.bulk_create(
        OdontogramVersion(patient=patient, author=author, created=now - timedelta(days=30 * i),
                          chart={t: {"state": "healthy", "surfaces": {"O": "filled"}} for t in teeth[: 1 + i % len(teeth)]}) for i in range(versions))
    out = io.BytesIO()
    Image.new("L", (64, 64), 90).save(out, format="PNG")
    for i in range(documents):
        ClinicalDocument.objects.create(patient=patient, kind="xray" if i % 2 else "report", title=f"Documento {i}", file=ContentFile(out.getvalue(), name="x.png"),
                                        content_type="image/png", size=len(out.getvalue()), uploaded_by=author, administrative=i % 5 == 0)


def icontains(query):
    """The baseline: what a plain admin search does (Wagtail's database fallback)."""
    condition = Q()
    for word in query.split():
        condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word) | Q(phone__icontains=word) | Q(
            national_id__icontains=word)
    return Patient.objects.filter(condition)




def page(client, path, params=None):
    response = client.get(path, params or {})
    assert response.status_code == 200, (path, response.status_code)
    return response


def count_queries(fn):
    fn()  # warm: the tenant's search_path and the content-type cache are set once per process
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        fn()
    if os.environ.get("BENCH_SQL"):
        print("\n".join(q[:160] for q in queries))
    return len(queries)


def main():
    keep_one_connection()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    ensure_platform()
    slug = f"bench-records-{int(clock.time())}"
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ALLOWED_HOSTS=["*"]):
        clinic, _ = create_clinic(name="Bench records", slug=slug, admin_email=f"admin@{slug}.example", time_zone="Europe/Madrid")
        try:
            with clinic_context(clinic):
                started = clock.perf_counter()
                fill_patients(args.patients)
                user, _ = add_staff_member(email="doctora@bench.example", role=Role.CLINIC_ADMIN, first_name="Lucía", last_name="Bench", password=PASSWORD)
                practitioner = Practitioner.objects.create(user=user, title="Dra.", active=True)
                patient = Patient.objects.order_by("pk").first()
                fill_record(patient, user, practitioner)
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE clinic_patient")
                print(f"Clinic with {Patient.objects.count()} patients ({clock.perf_counter() - started:.0f} s to load); one of them has "
                      f"{Visit.objects.filter(patient=patient).count()} visits, {OdontogramVersion.objects.filter(patient=patient).count()} odontogram "
                      f"versions and {ClinicalDocument.objects.filter(patient=patient).count()} documents.")
                sample = Patient.objects.order_by("pk")[min(1234, args.patients - 1)]
            client = Client(HTTP_HOST=clinic.primary_host)
            assert client.post("/accounts/login/", {"login": "doctora@bench.example", "password": PASSWORD}).status_code == 302
            queries = [sample.last_name.split()[0], sample.phone.replace("+34 ", ""), "mar gar", "rocío núñez"]
            print("Directory search (full page, 25 a page):")
            for query in queries:
                print(f"  {query!r:24} {summary(timed(lambda: page(client, '/admin/pacientes/', {'q': query}), args.runs))}")
            print("The search alone (count + first page), beside the baseline it replaces:")
            with clinic_context(clinic):
                if os.environ.get("BENCH_EXPLAIN"):
                    for query in queries:
                        print(Patient.objects.current().search(query).order_by("last_name", "first_name")[:25].explain(analyze=True))
                        print(Patient.objects.current().search(query).explain(analyze=True))
                for query in queries:
                    def full_text():
                        with search_index_preferred():  # as the directory runs it
                            return (Patient.objects.current().search(query).count(),
                                    list(Patient.objects.current().search(query).order_by("last_name", "first_name")[:25]))

                    fts = timed(full_text, args.runs)
                    base = timed(lambda: (icontains(query).count(), list(icontains(query).order_by("last_name", "first_name")[:25])), args.runs)
                    found = Patient.objects.current().search(query).count()
                    print(f"  {query!r:24} full-text {summary(fts)}   found {found}")
                    print(f"  {'':24} baseline  {summary(base)}   found {icontains(query).count()} (icontains)")
            print("Patient file:")
            path = f"/admin/pacientes/{patient.pk}/"
            file_queries = count_queries(lambda: page(client, path))
            print(f"  200 visits, 20 versions, 50 docs  {summary(timed(lambda: page(client, path), args.runs), file_queries)}")
            edit = f"/admin/clinic/patient/edit/{patient.pk}/"
            print(f"  baseline: Wagtail's edit page     {summary(timed(lambda: page(client, edit), args.runs), count_queries(lambda: page(client, edit)))}")
            with clinic_context(clinic):
                connection.cursor().execute("ALTER TABLE records_visit DISABLE TRIGGER records_visit_no_delete")
                keep = list(Visit.objects.filter(patient=patient).values_list("pk", flat=True)[:100])
                Visit.objects.filter(patient=patient).exclude(pk__in=keep).delete()
                connection.cursor().execute("ALTER TABLE records_visit ENABLE TRIGGER records_visit_no_delete")
            print(f"  with 100 visits                   {summary(timed(lambda: page(client, path), args.runs), count_queries(lambda: page(client, path)))}"
                  "   (the query count must not change)")
        finally:
            if not os.environ.get("BENCH_KEEP"):
                with public_context():
                    Clinic.objects.get(pk=clinic.pk).delete(force_drop=True)


if __name__ == "__main__":
    main()
