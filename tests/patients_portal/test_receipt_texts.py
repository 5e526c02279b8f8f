"""Issue 11, item 5: a patient's receipt (the page and the e-mail) names the clinic's legal
name and tax ID, when the clinic filled them in (Settings › Invoicing), and the
appointment it pays for: the service, and its date and time on the clinic's clock."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import dateformat, timezone, translation

from clinic.models import Appointment, InvoicingSettings, Patient, PatientPayment, Practitioner, Service
from portal.tasks import enqueue
from tests.helpers import login, text

pytestmark = pytest.mark.django_db

CLINICS = {
    # slug: zone, practitioner, service, wall-clock time, legal name, tax ID
    "sonrisa": ("Europe/Madrid", "lucia.fernandez@sonrisa.example", "empaste-obturacion", time(9, 45), "Clínica Dental Sonrisa S.L.", "B12345674"),
    "alamos": ("America/Mexico_City", "alejandro.ramirez@alamos.example", "consulta-de-medicina-general", time(8, 0), "Centro Médico Los Álamos S.C.", "CML180524P76"),
}


@pytest.fixture(params=["sonrisa", "alamos"])
def clinic(request, clinic_a, clinic_b):
    return {"sonrisa": clinic_a, "alamos": clinic_b}[request.param]


def paid_visit(clinic, in_clinic, *, legal=True):
    """The demo patient's appointment next week at the clinic's wall-clock time, paid at the desk."""
    zone, practitioner, service, at, legal_name, tax_id = CLINICS[clinic.slug]
    day = timezone.localdate(timezone=ZoneInfo(zone)) + timedelta(days=7)
    start = datetime.combine(day, at, ZoneInfo(zone))
    with in_clinic(clinic):
        if legal:
            InvoicingSettings.objects.update_or_create(defaults={"legal_name": legal_name, "tax_id": tax_id, "address": "Calle 1"})
        patient = Patient.objects.get(email=f"paciente@{clinic.slug}.example")
        appointment = Appointment.objects.create(
            patient=patient, practitioner=Practitioner.objects.get(user__email=practitioner), service=Service.objects.get(slug=service),
            start=start, end=start + timedelta(minutes=30), price=Decimal("70"), status=Appointment.Status.CONFIRMED,
        )
        payment = PatientPayment.objects.create(appointment=appointment, patient=patient, amount=Decimal("70"), currency=clinic.currency,
                                                method=PatientPayment.Method.CASH)
    return appointment, payment, start


def spanish(moment, fmt="j F Y, H:i"):
    with translation.override("es"):
        return dateformat.format(moment, fmt)


def test_the_receipt_page_names_the_clinics_tax_id_and_the_appointment(clinic, in_clinic, host_client, password):
    appointment, payment, start = paid_visit(clinic, in_clinic)
    _zone, _p, _s, at, legal_name, tax_id = CLINICS[clinic.slug]
    client = login(host_client(clinic.primary_host), f"paciente@{clinic.slug}.example", password)
    page = text(client.get(f"/cuenta/recibos/{payment.pk}/", HTTP_ACCEPT_LANGUAGE="es"))
    assert f"{legal_name} NIF: {tax_id}" in page
    assert f"Concepto {appointment.service.name} · {spanish(start)} · " in page
    assert f"{at:%H:%M}" in spanish(start)  # the clinic's wall clock, not UTC


def test_without_invoicing_details_the_receipt_names_no_tax_id(clinic_a, in_clinic, client_a, password):
    with in_clinic(clinic_a):
        InvoicingSettings.objects.update(legal_name="", tax_id="")
    _appointment, payment, _start = paid_visit(clinic_a, in_clinic, legal=False)
    login(client_a, "paciente@sonrisa.example", password)
    page = text(client_a.get(f"/cuenta/recibos/{payment.pk}/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "NIF" not in page and payment.receipt_number in page


def test_the_receipt_email_names_the_clinics_tax_id_and_the_appointment(clinic, in_clinic):
    appointment, payment, start = paid_visit(clinic, in_clinic)
    _zone, _p, _s, _at, legal_name, tax_id = CLINICS[clinic.slug]
    with in_clinic(clinic):
        for language in ("es", "en"):
            appointment.patient.user.language = language
            appointment.patient.user.save(update_fields=["language"])
            mail.outbox.clear()
            enqueue("clinic.emails.send_appointment_email", schema_name=clinic.schema_name, appointment_id=appointment.pk, template="receipt")
            [message] = mail.outbox
            with translation.override(language):
                when = dateformat.format(start.astimezone(ZoneInfo(clinic.time_zone)), "j F Y, H:i")
            if language == "es":
                assert f"Concepto: {appointment.service.name}, {when}" in message.body
                assert f"Emitido por: {legal_name} · NIF {tax_id}" in message.body
            else:
                assert f"For: {appointment.service.name}, {when}" in message.body
                assert f"Issued by: {legal_name} · Tax ID {tax_id}" in message.body
            assert payment.receipt_number in message.body
