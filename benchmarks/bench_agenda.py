"""Agenda benchmark: the staff day view (8 practitioners) and a practitioner's week view.

    .venv/bin/python benchmarks/bench_agenda.py [--appointments 5000] [--runs 30]

In a throw-away clinic (dropped at the end) with 8 practitioners working Monday to
Friday 8:00–14:00 and 15:00–20:00 and ``--appointments`` spread over the weeks around
today, signed in as the clinic's receptionist through Django's test client (the full
request: middleware, tenancy, permissions, templates), it prints the median and p95
server time and the number of queries of:
- the day view of a busy day (8 columns);
- one practitioner's week view;
- baseline, in the same run: Wagtail's own admin list of the same appointments
  (/admin/clinic/appointment/, 20 a page).
The target (issue 9) is a median of 100 ms or less for each view, with a query count
that does not grow with the number of appointments shown.
"""

import argparse
import os
import random
import sys
import time as clock
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.models import Appointment, Patient, Practitioner, Service, WorkingHours  # noqa: E402
from clinic.roles import Role  # noqa: E402
from clinic.staff import add_staff_member  # noqa: E402
from portal.tenancy import clinic_context, public_context  # noqa: E402
from tenants.models import Clinic  # noqa: E402
from tenants.services import create_clinic, ensure_platform  # noqa: E402

from benchlib import keep_one_connection, summary  # noqa: E402

ZONE = ZoneInfo("Europe/Madrid")
PASSWORD = "Bench-Password-2026"
STRETCHES = [(time(8), time(14)), (time(15), time(20))]




def fill(count):
    """8 practitioners with hours, a service, patients and ``count`` appointments on
    weekdays around today (30-minute blocks on a 15-minute grid, no overlaps)."""
    service = Service.objects.create(name="Revisión", duration_minutes=30, buffer_minutes=0, price=Decimal("40"))
    practitioners = []
    for i in range(8):
        user, _ = add_staff_member(email=f"p{i}@bench.example", role=Role.PRACTITIONER, first_name=f"Prof{i}", last_name="Bench", password=PASSWORD)
        practitioner = Practitioner.objects.create(user=user, title="Dr.", active=True, sort_order=i)
        practitioner.services.add(service)
        WorkingHours.objects.bulk_create(WorkingHours(practitioner=practitioner, weekday=d, start=s, end=e) for d in range(5) for s, e in STRETCHES)
        practitioners.append(practitioner)
    patients = Patient.objects.bulk_create(Patient(first_name=f"Paciente{i}", last_name="Bench", phone=f"600{i:06d}") for i in range(500))
    today = timezone.localdate(timezone=ZONE)
    busy_day = today + timedelta(days=(7 - today.weekday()) % 7 or 7)  # next Monday
    slots = []
    for offset in range(-70, 70):
        day = busy_day + timedelta(days=offset)
        if day.weekday() > 4:
            continue
        for start, end in STRETCHES:
            at = datetime.combine(day, start, ZONE)
            while at + timedelta(minutes=30) <= datetime.combine(day, end, ZONE):
                for practitioner in practitioners:
                    slots.append((practitioner, at))
                at += timedelta(minutes=30)
    rng = random.Random(9)
    busy = [s for s in slots if s[1].date() == busy_day]
    rest = [s for s in slots if s[1].date() != busy_day]
    chosen = busy[: min(len(busy), count)] + rng.sample(rest, max(0, min(len(rest), count - len(busy))))
    statuses = [Appointment.Status.CONFIRMED] * 6 + [Appointment.Status.COMPLETED, Appointment.Status.ARRIVED]
    rows = []
    for practitioner, at in chosen:
        row = Appointment(patient=rng.choice(patients), practitioner=practitioner, service=service, start=at, end=at + timedelta(minutes=30),
                          price=service.price, status=rng.choice(statuses))
        row.occupied = DateTimeTZRange(at, at + timedelta(minutes=30), "[)")
        rows.append(row)
    Appointment.objects.bulk_create(rows, batch_size=1000)
    return busy_day, practitioners[0], len(busy)


def measure(client, path, params, runs):
    client.get(path, params)  # warm
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        response = client.get(path, params)
    assert response.status_code == 200, (path, response.status_code)
    samples = []
    for _ in range(runs):
        started = clock.perf_counter()
        client.get(path, params)
        samples.append(clock.perf_counter() - started)
    return samples, len(queries)


def main():
    keep_one_connection()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    ensure_platform()
    slug = f"bench-agenda-{int(clock.time())}"
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ALLOWED_HOSTS=["*"]):
        clinic, _ = create_clinic(name="Bench agenda", slug=slug, admin_email=f"admin@{slug}.example", time_zone="Europe/Madrid")
        try:
            with clinic_context(clinic):
                busy_day, first, on_busy_day = fill(args.appointments)
                add_staff_member(email="recepcion@bench.example", role=Role.RECEPTIONIST, password=PASSWORD)
                total = Appointment.objects.count()
            client = Client(HTTP_HOST=clinic.primary_host)
            assert client.post("/accounts/login/", {"login": "recepcion@bench.example", "password": PASSWORD}).status_code == 302
            print(f"Clinic with 8 practitioners and {total} appointments; {on_busy_day} on the day shown ({busy_day}).")
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                client.get("/admin/agenda/", {"dia": busy_day.isoformat()})
                profile = cProfile.Profile()
                profile.enable()
                client.get("/admin/agenda/", {"dia": busy_day.isoformat()})
                profile.disable()
                pstats.Stats(profile).sort_stats(os.environ.get("BENCH_PROFILE", "cumulative")).print_stats(30)
            for label, path, params in (
                ("day view, 8 columns       ", "/admin/agenda/", {"dia": busy_day.isoformat()}),
                ("week view, 1 practitioner ", "/admin/agenda/semana/", {"dia": busy_day.isoformat(), "profesional": first.pk}),
                ("baseline: admin list (20) ", "/admin/clinic/appointment/", {}),
            ):
                samples, queries = measure(client, path, params, args.runs)
                print(f"  {label} {summary(samples, queries)}")
            with clinic_context(clinic):
                day_ids = list(Appointment.objects.filter(start__date=busy_day).values_list("pk", flat=True))
                Appointment.objects.filter(pk__in=day_ids[::2]).delete()
            samples, queries = measure(client, "/admin/agenda/", {"dia": busy_day.isoformat()}, args.runs)
            print(f"  day view, half as many    {summary(samples, queries)}   (the query count must not change)")
        finally:
            with public_context():
                Clinic.objects.get(pk=clinic.pk).delete(force_drop=True)


if __name__ == "__main__":
    main()
