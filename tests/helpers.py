"""Small helpers the clinic tests share (a signed-in client, the next working Tuesday,
a page's text)."""

import re
from contextlib import contextmanager
from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

from django.utils import timezone

MADRID = ZoneInfo("Europe/Madrid")


def login(client, email, password):
    """``client`` signed in through the clinic's real sign-in form."""
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:500]
    return client


def next_tuesday(zone=MADRID):
    """A Tuesday at least two days ahead: inside every demo clinic's hours and notice."""
    today = timezone.localdate(timezone=zone)
    days = (1 - today.weekday()) % 7
    return today + timedelta(days=days if days >= 2 else days + 7)


def text(response):
    """The page's visible words on one line."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


RECORD_TABLES = ("records_addendum", "records_odontogramversion", "records_clinicaldocument", "records_visit", "records_medicalhistory",
                 "records_accesslogentry")


@contextmanager
def triggers_off(*tables):
    """Test clean-up of committed data only: the database refuses to delete clinical records
    and issued invoices (triggers), so they are switched off for one transaction (ALTER
    TABLE is transactional and needs the table's owner, which the test database user is)."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks before ALTER TABLE
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def purge_clinical_rows(*, patients=(), appointments=()):
    """Clinical rows of these patients or appointments (committed test data)."""
    from clinic.records.models import AccessLogEntry, Addendum, ClinicalDocument, MedicalHistory, OdontogramVersion, Visit

    patient_ids = [getattr(p, "pk", p) for p in patients]
    appointment_ids = [getattr(a, "pk", a) for a in appointments]
    with triggers_off(*RECORD_TABLES):
        visits = Visit.objects.filter(patient_id__in=patient_ids) | Visit.objects.filter(appointment_id__in=appointment_ids)
        Addendum.objects.filter(visit__in=visits).delete()
        OdontogramVersion.objects.filter(patient_id__in=patient_ids).delete()
        OdontogramVersion.objects.filter(visit__in=visits).delete()
        ClinicalDocument.objects.filter(patient_id__in=patient_ids).delete()
        ClinicalDocument.objects.filter(visit__in=visits).delete()
        visits.delete()
        MedicalHistory.objects.filter(patient_id__in=patient_ids).delete()
        AccessLogEntry.objects.filter(patient_id__in=patient_ids).delete()


def purge_platform_invoices(payments):
    """Test clean-up of committed platform invoices of these billing payments (and their
    lines): the database refuses deleting an issued invoice otherwise."""
    from django.db import connection

    ids = [p.pk for p in payments]
    if not ids:
        return
    with triggers_off("billing_platforminvoiceline", "billing_platforminvoice"), connection.cursor() as cursor:
        invoices = "SELECT id FROM billing_platforminvoice WHERE payment_id = ANY(%s)"
        cursor.execute(f"DELETE FROM billing_platforminvoiceline WHERE invoice_id IN ({invoices})", [ids])
        cursor.execute("UPDATE billing_platforminvoice SET corrects_id = NULL WHERE corrects_id IN (SELECT id FROM billing_platforminvoice WHERE payment_id = ANY(%s))", [ids])
        cursor.execute("DELETE FROM billing_platforminvoice WHERE payment_id = ANY(%s)", [ids])
