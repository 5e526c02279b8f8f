"""Issue 9, item 3: the staff agenda (day, week, appointment page, move) as each role sees it."""

import re
from urllib.parse import quote
from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from clinic.models import Appointment, Patient, PatientPayment, Practitioner, Service
from portal.tenancy import clinic_context
from tests.helpers import login, next_tuesday, text

pytestmark = pytest.mark.django_db
MADRID, MEXICO = ZoneInfo("Europe/Madrid"), ZoneInfo("America/Mexico_City")


@pytest.fixture
def sonrisa(clinic_a, in_clinic):
    with in_clinic(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        javier = Practitioner.objects.get(user__email="javier.morales@sonrisa.example")
        patient = Patient.objects.create(first_name="Ana", last_name="López Agenda", phone="+34 600 000 001", email="ana.agenda@example.com")
    return dict(service=service, lucia=lucia, javier=javier, patient=patient)


def book(clinic, s, start, practitioner=None, status=Appointment.Status.CONFIRMED, price="70"):
    with clinic_context(clinic):
        return Appointment.objects.create(
            patient=s["patient"], practitioner=practitioner or s["lucia"], service=s["service"], start=start, end=start + timedelta(minutes=45),
            price=Decimal(price), status=status,
        )


def test_the_day_shows_each_practitioner_s_column_with_the_appointment_at_its_local_time(client_a, clinic_a, sonrisa, password):
    day = next_tuesday()
    appointment = book(clinic_a, sonrisa, datetime.combine(day, time(10), MADRID))
    login(client_a, "recepcion@sonrisa.example", password)
    response = client_a.get(reverse("clinic_agenda:day"), {"dia": day.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Dra. Lucía Fernández Ruiz" in page and "Dr. Javier Morales Gil" in page
    block = re.search(r'<a class="agenda__block status-confirmed[^"]*" href="/admin/agenda/cita/%d/"[^>]*>(.*?)</a>' % appointment.pk, page, re.S)
    assert block, "the appointment's block"
    assert "10:00–10:45" in block.group(1) and "Ana López Agenda" in block.group(1) and "Empaste (obturación)" in block.group(1)
    assert "to pay at the clinic" in block.group(1)
    # A free time right after it books with Lucía at 10:45 (the service's 10-minute buffer leaves 10:45 busy, 11:00 free).
    free = "&amp;inicio=" + quote(datetime.combine(day, time(11), MADRID).isoformat())
    assert f'/admin/recepcion/cita/?profesional={sonrisa["lucia"].pk}{free}' in page
    assert f'/admin/recepcion/cita/?profesional={sonrisa["lucia"].pk}&amp;inicio=' + quote(datetime.combine(day, time(10, 15), MADRID).isoformat()) not in page


def test_a_clinic_in_another_zone_shows_its_own_wall_clock(client_b, clinic_b, in_clinic, password):
    with in_clinic(clinic_b):
        practitioner = Practitioner.objects.active().first()
        service = practitioner.services.first()
        patient = Patient.objects.create(first_name="Luis", last_name="Zona")
        day = next_tuesday(MEXICO)
        Appointment.objects.create(patient=patient, practitioner=practitioner, service=service, start=datetime.combine(day, time(10), MEXICO),
                                   end=datetime.combine(day, time(10, 30), MEXICO), price=Decimal("500"))
    login(client_b, "recepcion@alamos.example", password)
    page = client_b.get(reverse("clinic_agenda:day"), {"dia": day.isoformat()}).content.decode()
    assert "10:00–10:30" in page and "Luis Zona" in page


def test_payment_state_on_each_block(client_a, clinic_a, sonrisa, password):
    day = next_tuesday()
    paid = book(clinic_a, sonrisa, datetime.combine(day, time(9), MADRID))
    part = book(clinic_a, sonrisa, datetime.combine(day, time(11), MADRID))
    held = book(clinic_a, sonrisa, datetime.combine(day, time(12), MADRID), status=Appointment.Status.PENDING_PAYMENT)
    with clinic_context(clinic_a):
        PatientPayment.objects.create(appointment=paid, patient=sonrisa["patient"], amount=Decimal("70"), currency="EUR", method="card")
        PatientPayment.objects.create(appointment=part, patient=sonrisa["patient"], amount=Decimal("20"), currency="EUR", method="cash")
    login(client_a, "admin@sonrisa.example", password)
    page = client_a.get(reverse("clinic_agenda:day"), {"dia": day.isoformat()}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for appointment, state in ((paid, "pay-paid"), (part, "pay-part"), (held, "pay-awaiting")):
        block = re.search(r'href="/admin/agenda/cita/%d/".*?</a>' % appointment.pk, page, re.S).group(0)
        assert state in block


def test_filters_and_the_week_view(client_a, clinic_a, sonrisa, password):
    day = next_tuesday()
    book(clinic_a, sonrisa, datetime.combine(day, time(10), MADRID))
    book(clinic_a, sonrisa, datetime.combine(day + timedelta(days=1), time(16), MADRID))
    book(clinic_a, sonrisa, datetime.combine(day, time(10), MADRID), practitioner=sonrisa["javier"])
    login(client_a, "recepcion@sonrisa.example", password)
    only_javier = client_a.get(reverse("clinic_agenda:day"), {"dia": day.isoformat(), "profesional": sonrisa["javier"].pk}).content.decode()
    assert only_javier.count('class="agenda__block') == 1 and "Lucía Fernández" not in only_javier.split("agenda-desktop")[1].split("agenda-phone")[0]
    week = client_a.get(reverse("clinic_agenda:week"), {"dia": day.isoformat(), "profesional": sonrisa["lucia"].pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert week.status_code == HTTPStatus.OK
    page = week.content.decode()
    assert page.count('class="agenda__block') == 2 and "16:00–16:45" in page
    none = client_a.get(reverse("clinic_agenda:day"), {"dia": day.isoformat(), "estado": "no_show"}).content.decode()
    assert 'class="agenda__block' not in none


@pytest.mark.parametrize("params", [
    {"dia": "2026-02-30"}, {"dia": "9999-01-01"}, {"dia": "x"}, {"profesional": "abc"}, {"profesional": "999999"},
    {"servicio": "1" * 30}, {"estado": "borrado"}, {"dia": "2026-01-01\x00"},
])
def test_bad_parameters_are_a_translated_400(client_a, password, params):
    login(client_a, "recepcion@sonrisa.example", password)
    for name in ("clinic_agenda:day", "clinic_agenda:week"):
        response = client_a.get(reverse(name), params, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert 'class="help-block help-critical"' in response.content.decode()


def test_the_day_view_s_queries_do_not_grow_with_the_appointments(client_a, clinic_a, sonrisa, password):
    day = next_tuesday()
    login(client_a, "recepcion@sonrisa.example", password)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client_a.get(reverse("clinic_agenda:day"), {"dia": day.isoformat()}).status_code == HTTPStatus.OK
        return len(queries)

    for hour in (9, 10):
        book(clinic_a, sonrisa, datetime.combine(day, time(hour), MADRID))
    count()  # the first request fills per-process caches (site, settings)
    few = count()
    with clinic_context(clinic_a):
        practitioners = list(Practitioner.objects.active())
    for i, practitioner in enumerate(practitioners):
        for hour in (9, 10, 11, 12, 13, 16, 17, 18, 19):
            if practitioner == sonrisa["lucia"] and hour in (9, 10):
                continue
            book(clinic_a, sonrisa, datetime.combine(day, time(hour), MADRID), practitioner=practitioner)
    assert count() == few


def test_each_step_posts_through_its_action_and_is_audited(client_a, clinic_a, sonrisa, password):
    now = timezone.now()
    start = now - timedelta(minutes=5)
    if timezone.localdate(start, MADRID) != timezone.localdate(now, MADRID):
        pytest.skip("too close to midnight in Madrid")
    appointment = book(clinic_a, sonrisa, start.replace(second=0, microsecond=0))
    login(client_a, "recepcion@sonrisa.example", password)
    page = client_a.get(reverse("clinic_agenda:appointment", args=[appointment.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Check in" in page and "Mark no-show" in page and "+34 600 000 001" in page
    for to in ("arrived", "in_room", "completed"):
        response = client_a.post(reverse("clinic_agenda:status", args=[appointment.pk]), {"to": to})
        assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        appointment.refresh_from_db()
        assert appointment.status == "completed"
        actions = list(ModelLogEntry.objects.filter(object_id=str(appointment.pk), content_type__model="appointment").order_by("timestamp").values_list("action", flat=True))
    assert actions == ["clinic.appointment.arrive", "clinic.appointment.in_room", "clinic.appointment.complete"]
    history = client_a.get(reverse("clinic_agenda:appointment", args=[appointment.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Patient checked in" in history and "Ana Recepción" in history


def test_a_refused_step_says_why_and_changes_nothing(client_a, clinic_a, sonrisa, password):
    appointment = book(clinic_a, sonrisa, datetime.combine(next_tuesday(), time(10), MADRID))
    login(client_a, "recepcion@sonrisa.example", password)
    response = client_a.post(reverse("clinic_agenda:status", args=[appointment.pk]), {"to": "completed"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "once its start time has passed" in response.content.decode()
    with clinic_context(clinic_a):
        appointment.refresh_from_db()
    assert appointment.status == "confirmed"
    cancel = client_a.post(reverse("clinic_agenda:status", args=[appointment.pk]), {"to": "cancelled", "reason": ""}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Say why the appointment is cancelled" in cancel.content.decode()
    assert client_a.post(reverse("clinic_agenda:status", args=[appointment.pk]), {"to": "borrada"}).status_code == HTTPStatus.BAD_REQUEST


def test_move_offers_free_times_and_moves(client_a, clinic_a, sonrisa, password, django_capture_on_commit_callbacks):
    day = next_tuesday()
    appointment = book(clinic_a, sonrisa, datetime.combine(day, time(10), MADRID))
    login(client_a, "recepcion@sonrisa.example", password)
    page = client_a.get(reverse("clinic_agenda:move", args=[appointment.pk]), {"dia": day.isoformat()}).content.decode()
    target = datetime.combine(day, time(12), MADRID)
    assert f'value="{target.astimezone(ZoneInfo("UTC")).isoformat()}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(reverse("clinic_agenda:move", args=[appointment.pk]), {"inicio": target.isoformat(), "profesional": sonrisa["lucia"].pk})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        moved = Appointment.objects.get(rescheduled_from=appointment)
        assert moved.start == target and moved.status == "confirmed"
    taken = client_a.post(reverse("clinic_agenda:move", args=[moved.pk]), {"inicio": "2026-02-30T10:00:00+01:00"})
    assert taken.status_code == HTTPStatus.BAD_REQUEST


def test_a_practitioner_sees_everyone_but_changes_only_their_own(client_a, clinic_a, sonrisa, password):
    now = timezone.now()
    start = (now - timedelta(minutes=5)).replace(second=0, microsecond=0)
    if timezone.localdate(start, MADRID) != timezone.localdate(now, MADRID):
        pytest.skip("too close to midnight in Madrid")
    theirs = book(clinic_a, sonrisa, start, practitioner=sonrisa["javier"])
    login(client_a, "lucia.fernandez@sonrisa.example", password)
    assert client_a.get(reverse("clinic_agenda:day")).status_code == HTTPStatus.OK
    page = client_a.get(reverse("clinic_agenda:appointment", args=[theirs.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "another practitioner's appointment" in page and 'name="to"' not in page
    # Wagtail answers a PermissionDenied in its admin with a redirect to the dashboard and a message.
    for response in (client_a.post(reverse("clinic_agenda:status", args=[theirs.pk]), {"to": "arrived"}),
                     client_a.get(reverse("clinic_agenda:move", args=[theirs.pk]))):
        assert (response.status_code, response.get("Location")) in ((HTTPStatus.FOUND, "/admin/"), (HTTPStatus.FORBIDDEN, None))
    with clinic_context(clinic_a):
        theirs.refresh_from_db()
    assert theirs.status == "confirmed"


def test_patients_anonymous_and_other_clinics_get_no_agenda(client_a, client_b, clinic_a, sonrisa, password):
    appointment = book(clinic_a, sonrisa, datetime.combine(next_tuesday(), time(10), MADRID))
    assert client_a.get(reverse("clinic_agenda:day")).status_code == HTTPStatus.FOUND  # to sign in
    login(client_a, "paciente@sonrisa.example", password)
    assert client_a.get(reverse("clinic_agenda:day")).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    assert client_a.post(reverse("clinic_agenda:status", args=[appointment.pk]), {"to": "arrived"}).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    login(client_b, "admin@alamos.example", password)
    assert client_b.get(reverse("clinic_agenda:appointment", args=[appointment.pk])).status_code == HTTPStatus.NOT_FOUND
    assert client_b.post(reverse("clinic_agenda:status", args=[appointment.pk]), {"to": "arrived"}).status_code == HTTPStatus.NOT_FOUND
    with clinic_context(clinic_a):
        appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_the_agenda_renders_with_the_demo_fortnight(client_a, clinic_a, password):
    from tenants.demo_agenda import seed_agenda

    seed_agenda(clinic_a)
    for email in ("admin@sonrisa.example", "recepcion@sonrisa.example", "lucia.fernandez@sonrisa.example"):
        client = login(type(client_a)(HTTP_HOST=clinic_a.primary_host), email, password)
        for language in ("es", "en"):
            day = client.get(reverse("clinic_agenda:day"), HTTP_ACCEPT_LANGUAGE=language)
            assert day.status_code == HTTPStatus.OK and 'class="agenda__block' in day.content.decode()
            assert client.get(reverse("clinic_agenda:week"), HTTP_ACCEPT_LANGUAGE=language).status_code == HTTPStatus.OK


def test_record_a_payment_from_the_appointment_page_in_local_time(client_a, clinic_a, sonrisa, password):
    appointment = book(clinic_a, sonrisa, datetime.combine(next_tuesday(), time(10), MADRID))
    login(client_a, "recepcion@sonrisa.example", password)
    form = client_a.get(reverse("clinic_patientpayment:add"), {"patient": sonrisa["patient"].pk, "appointment": appointment.pk}, HTTP_ACCEPT_LANGUAGE="en")
    page = form.content.decode()
    assert f"{next_tuesday():%d/%m/%Y} 10:00 · Empaste (obturación)" in page  # the clinic's wall clock, not UTC
    assert 'value="70.00"' in page and 'value="online"' not in page
    response = client_a.post(reverse("clinic_patientpayment:add"), {"patient": sonrisa["patient"].pk, "appointment": appointment.pk,
                                                                    "amount": "70.00", "method": "card", "reference": ""})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        payment = PatientPayment.objects.get(appointment=appointment)
        assert (payment.amount, payment.currency, payment.method) == (Decimal("70.00"), "EUR", "card")
        assert ModelLogEntry.objects.filter(object_id=str(payment.pk), action="clinic.payment.record").exists()
