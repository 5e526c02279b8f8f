"""Issue 8 item 10: every appointment e-mail prints the booked wall-clock time of the clinic.

A 09:45 Madrid visit was e-mailed as "08:45 (Europe/Madrid)" and an 08:00 Mexico City
visit as "14:00": jobs ran with UTC active, and the template ``date``/``time`` filters
convert to the active zone (STACK-NOTES). The e-mails here go through the real job path
(``portal.tasks.enqueue``, run inline by Q_CLUSTER "sync" in tests).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import dateformat, timezone, translation
from django.utils.formats import get_format

from clinic.models import Appointment, Patient, Practitioner, Service
from portal.tasks import enqueue

pytestmark = pytest.mark.django_db

TEMPLATES = ["confirmation", "receipt", "reminder", "reschedule", "cancellation"]

CLINICS = {
    # slug: (zone, practitioner, service, booked wall-clock time, the same instant in UTC)
    "sonrisa": ("Europe/Madrid", "lucia.fernandez@sonrisa.example", "empaste-obturacion", time(9, 45)),
    "alamos": ("America/Mexico_City", "alejandro.ramirez@alamos.example", "consulta-de-medicina-general", time(8, 0)),
}


def book(clinic, in_clinic, day, at: time, *, first_name="Eva", email="eva@correo.example", status=Appointment.Status.CONFIRMED):
    zone_name, practitioner_email, service_slug, _ = CLINICS[clinic.slug]
    start = datetime.combine(day, at, ZoneInfo(zone_name))
    with in_clinic(clinic):
        patient = Patient.objects.create(first_name=first_name, last_name="Prueba", email=email)
        service = Service.objects.get(slug=service_slug)
        return Appointment.objects.create(
            patient=patient, practitioner=Practitioner.objects.get(user__email=practitioner_email), service=service,
            start=start, end=start + timedelta(minutes=30), price=70, status=status,
        )


def send(clinic, appointment, template):
    mail.outbox.clear()
    enqueue("clinic.emails.send_appointment_email", schema_name=clinic.schema_name, appointment_id=appointment.pk, template=template)
    [message] = mail.outbox
    return message


def local_today(clinic):
    return timezone.localdate(timezone=ZoneInfo(clinic.time_zone))


def spanish(day, fmt):
    """How Django writes a calendar date in Spanish (a ``date`` has no zone to convert)."""
    with translation.override("es"):
        return dateformat.format(day, get_format(fmt) if fmt.isupper() else fmt)


@pytest.fixture(params=["sonrisa", "alamos"])
def clinic(request, clinic_a, clinic_b):
    return clinic_a if request.param == "sonrisa" else clinic_b


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_appointment_email_prints_the_booked_wall_clock_time(clinic, in_clinic, template):
    zone_name, _, _, at = CLINICS[clinic.slug]
    day = local_today(clinic) + timedelta(days=5)
    status = Appointment.Status.CANCELLED if template == "cancellation" else Appointment.Status.CONFIRMED
    appointment = book(clinic, in_clinic, day, at, status=status)
    utc = appointment.start.astimezone(ZoneInfo("UTC")).strftime("%H:%M")
    wall = at.strftime("%H:%M")
    assert utc != wall

    message = send(clinic, appointment, template)
    # The details block of every template: "martes 1 diciembre 2026, 09:45 (Europe/Madrid)".
    assert f"{spanish(day, 'l j F Y')}, {wall} ({zone_name})" in message.body
    assert utc not in message.body
    for content, _mimetype in getattr(message, "alternatives", []):
        assert wall in content and utc not in content
    if template != "reminder":
        assert spanish(day, "DATE_FORMAT") in message.subject


def test_an_evening_visit_in_mexico_city_keeps_its_own_date(clinic_b, in_clinic):
    """19:00 in Mexico City is 01:00 UTC on the next day: the date must not move with it."""
    day = local_today(clinic_b) + timedelta(days=5)
    appointment = book(clinic_b, in_clinic, day, time(19, 0))
    message = send(clinic_b, appointment, "confirmation")
    assert spanish(day, "DATE_FORMAT") in message.subject
    assert f"{spanish(day, 'l j F Y')}, 19:00" in message.body
    assert spanish(day + timedelta(days=1), "DATE_FORMAT") not in message.subject


def test_the_reminder_says_tomorrow_only_when_it_is_tomorrow(clinic, in_clinic):
    _, _, _, at = CLINICS[clinic.slug]
    wall = at.strftime("%H:%M")
    tomorrow = book(clinic, in_clinic, local_today(clinic) + timedelta(days=1), at)
    subject = send(clinic, tomorrow, "reminder").subject
    assert subject.endswith(f"mañana a las {wall}"), subject

    later_day = local_today(clinic) + timedelta(days=3)
    later = book(clinic, in_clinic, later_day, at, email="luis@correo.example")
    subject = send(clinic, later, "reminder").subject
    assert "mañana" not in subject and "tomorrow" not in subject.lower(), subject
    assert wall in subject and str(later_day.day) in subject, subject


def test_the_reminder_of_a_visit_later_today_does_not_say_tomorrow(clinic_a, in_clinic):
    zone = ZoneInfo(clinic_a.time_zone)
    start = (timezone.now() + timedelta(hours=1)).astimezone(zone).replace(second=0, microsecond=0)
    if start.date() != local_today(clinic_a):
        pytest.skip("less than an hour of today left in Madrid")
    appointment = book(clinic_a, in_clinic, start.date(), start.time())
    subject = send(clinic_a, appointment, "reminder").subject
    assert "mañana" not in subject and "tomorrow" not in subject.lower(), subject
    assert start.strftime("%H:%M") in subject


def test_the_contact_message_says_when_it_arrived_in_the_clinics_time(clinic_b, in_clinic):
    from clinic.models import ContactMessage

    received = datetime.combine(local_today(clinic_b) - timedelta(days=1), time(8, 0), ZoneInfo(clinic_b.time_zone))
    with in_clinic(clinic_b):
        contact = ContactMessage.objects.create(name="Ana", email="ana@correo.example", message="Hola")
        ContactMessage.objects.filter(pk=contact.pk).update(created=received)
    enqueue("clinic.tasks.email_contact_message", schema_name=clinic_b.schema_name, message_id=contact.pk)
    [message] = mail.outbox
    assert "a las 08:00" in message.body and "14:00" not in message.body


@pytest.mark.parametrize("slug, zone", [("sonrisa", "Europe/Madrid"), ("alamos", "America/Mexico_City"), (None, "UTC")])
def test_every_job_runs_with_its_clinics_zone_active_and_platform_jobs_in_utc(clinic_a, clinic_b, slug, zone):
    from django_q.tasks import result

    schema = {"sonrisa": clinic_a, "alamos": clinic_b}[slug].schema_name if slug else "public"
    before = timezone.get_current_timezone_name()
    task_id = enqueue("django.utils.timezone.get_current_timezone_name", schema_name=schema)
    assert result(task_id) == zone
    assert timezone.get_current_timezone_name() == before  # and the caller's zone is left alone


def test_billing_dates_are_the_clinics_calendar_dates(clinic_b, in_clinic):
    """"Paid until" 23:30 in Mexico City is already the next day in UTC."""
    from tenants.models import Clinic, Plan

    ends = datetime.combine(local_today(clinic_b) + timedelta(days=3), time(23, 30), ZoneInfo(clinic_b.time_zone))
    Clinic.objects.filter(pk=clinic_b.pk).update(paid_until=ends, plan=Plan.objects.first())
    enqueue("billing.emails.send_billing_email", schema_name=clinic_b.schema_name, clinic_id=clinic_b.pk, template="add_card")
    [message] = mail.outbox
    assert spanish(ends.date(), "DATE_FORMAT") in message.body
