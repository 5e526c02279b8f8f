"""Issue 10, item 5: every view, creation, change, export and download of clinical data
writes an access-log line (who, when, what, which patient, from which IP); the log is
append-only; clinic admins filter it and export CSV; the patient sees who opened
their record."""

import csv
import io
from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic.records.models import AccessLogEntry, ClinicalDocument, OdontogramVersion, Visit
from portal.tenancy import clinic_context
from tests.helpers import text

pytestmark = pytest.mark.django_db


def lines(clinic, patient):
    with clinic_context(clinic):
        return list(AccessLogEntry.objects.filter(patient=patient).order_by("pk").values_list("user__email", "action", "area", "detail", "ip"))


def test_every_read_and_download_is_logged_with_who_what_and_ip(records, as_role, clinic_a):
    patient = records["patient"]
    with clinic_context(clinic_a):
        visit = Visit.objects.filter(patient=patient).first()
        version = OdontogramVersion.objects.filter(patient=patient).last()
        xray = ClinicalDocument.objects.get(patient=patient, kind="xray")
    client = as_role("practitioner")
    before = len(lines(clinic_a, patient))
    steps = [
        (reverse("clinic_records:patient", args=[patient.pk]), ("view", "file", "")),
        (reverse("clinic_records:visit", args=[visit.pk]), ("view", "visit", visit.date.isoformat())),
        (reverse("clinic_records:history", args=[patient.pk]), ("view", "history", "")),
        (reverse("clinic_records:odontogram", args=[patient.pk]), ("view", "odontogram", "")),
        (reverse("clinic_records:odontogram_version", args=[patient.pk, version.pk]), ("view", "odontogram", None)),
        (reverse("clinic_records:document", args=[xray.pk]), ("download", "document", xray.title)),
        (reverse("clinic_records:document", args=[xray.pk]) + "?ver=1", ("view", "document", xray.title)),
        (reverse("clinic_records:export", args=[patient.pk, "json"]), ("export", "record", "JSON")),
        (reverse("clinic_records:export", args=[patient.pk, "pdf"]), ("export", "record", "PDF")),
    ]
    for url, (action, area, detail) in steps:
        response = client.get(url, REMOTE_ADDR="203.0.113.7")
        assert response.status_code == HTTPStatus.OK, url
        email, got_action, got_area, got_detail, ip = lines(clinic_a, patient)[-1]
        assert (email, got_action, got_area, ip) == ("lucia.fernandez@sonrisa.example", action, area, "203.0.113.7"), url
        if detail is not None:
            assert got_detail == detail, url
    assert len(lines(clinic_a, patient)) == before + len(steps)


def test_the_pdf_export_is_a_readable_pdf(records, as_role):
    response = as_role("practitioner").get(reverse("clinic_records:export", args=[records["patient"].pk, "pdf"]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")
    assert 'filename="historia-' in response["Content-Disposition"]


def test_the_log_cannot_be_changed_or_deleted(records, as_role, clinic_a):
    as_role("admin").get(reverse("clinic_records:patient", args=[records["patient"].pk]))
    with clinic_context(clinic_a):
        entry = AccessLogEntry.objects.filter(patient=records["patient"]).last()
        for attempt in (lambda: AccessLogEntry.objects.filter(pk=entry.pk).update(who="nadie"),
                        lambda: AccessLogEntry.objects.filter(pk=entry.pk).delete(),
                        lambda: entry.save()):
            with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
                attempt()
        entry.refresh_from_db()
        assert entry.who != "nadie"


def test_the_admin_filters_and_exports_the_log_as_csv(records, as_role, clinic_a):
    patient = records["patient"]
    as_role("practitioner").get(reverse("clinic_records:patient", args=[patient.pk]), REMOTE_ADDR="198.51.100.4")
    admin = as_role("admin")
    listing = admin.get(reverse("access_log:index") + f"?patient={patient.pk}&action=view", HTTP_ACCEPT_LANGUAGE="es")
    assert listing.status_code == HTTPStatus.OK
    assert "Lucía Fernández Ruiz" in text(listing) and "198.51.100.4" in text(listing)
    exported = admin.get(reverse("access_log:index") + f"?patient={patient.pk}&export=csv")
    assert exported.status_code == HTTPStatus.OK and "text/csv" in exported["Content-Type"]
    body = b"".join(exported.streaming_content).decode() if exported.streaming else exported.content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) >= 2
    assert any("Lucía Fernández Ruiz" in row and "198.51.100.4" in row for row in rows[1:])
    # No page of the listing edits or deletes an entry: those routes do not exist.
    assert admin.get(f"/admin/registro-de-accesos/edit/{1}/").status_code == HTTPStatus.NOT_FOUND
    assert admin.post(f"/admin/registro-de-accesos/delete/{1}/").status_code == HTTPStatus.NOT_FOUND


def test_the_patient_sees_who_opened_their_record(records, as_role):
    patient = records["patient"]
    as_role("practitioner").get(reverse("clinic_records:patient", args=[patient.pk]))
    page = text(as_role("patient").get(reverse("patients_portal:history"), HTTP_ACCEPT_LANGUAGE="es"))
    assert "Quién ha abierto mi historia" in page
    assert "Lucía Fernández Ruiz (Profesional) Consultó · ficha del paciente" in page  # capfirst of "consultó"
