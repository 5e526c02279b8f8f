"""The patient's booking journey on a clinic site, and what one patient cannot do to
another's appointments (real localstripe, real signed webhooks)."""

import json
import re
import uuid
from datetime import datetime, time, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from clinic.emails import send_due_reminders
from clinic.models import Appointment, Patient, PatientPayment, Practitioner, Service
from tests.conftest import save_card

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


def tuesday():
    """A Tuesday at least two days ahead: outside the 24-hour change window whatever the time now."""
    today = timezone.localdate(timezone=MADRID)
    days = (1 - today.weekday()) % 7
    return today + timedelta(days=days if days >= 2 else days + 7)


def at(hh, mm=0, day=None):
    return datetime.combine(day or tuesday(), time(hh, mm), MADRID)


@pytest.fixture
def patient_client(client_a, password):
    client_a.post("/accounts/login/", {"login": "paciente@sonrisa.example", "password": password})
    return client_a


@pytest.fixture
def lucia(clinic_a, in_clinic):
    with in_clinic(clinic_a):
        return Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")


def review_url(service_slug, start, practitioner=None):
    from urllib.parse import quote

    return f"/reservar/{service_slug}/confirmar/?inicio={quote(start.astimezone(ZoneInfo('UTC')).isoformat())}" + (f"&profesional={practitioner.pk}" if practitioner else "")


def test_booking_while_logged_out_goes_to_login_and_comes_back(client_a, password, lucia):
    url = review_url("empaste-obturacion", at(10), lucia)
    response = client_a.get(url)
    assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith("/accounts/login/?next=")
    back = client_a.post(response["Location"], {"login": "paciente@sonrisa.example", "password": password})
    assert back["Location"] == url


def test_pick_a_time_then_confirm_and_pay_at_the_clinic(patient_client, clinic_a, in_clinic, lucia, django_capture_on_commit_callbacks):
    page = patient_client.get(f"/reservar/empaste-obturacion/?profesional={lucia.pk}&dia={tuesday():%Y-%m-%d}")
    assert page.status_code == HTTPStatus.OK
    assert ">09:00<" in page.content.decode() and ">14:00<" not in page.content.decode()  # lunch break
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(review_url("empaste-obturacion", at(9), lucia), {"pay_online": "0"})
    with in_clinic(clinic_a):
        appointment = Appointment.objects.get(patient__email="paciente@sonrisa.example", start=at(9))
    assert response["Location"] == f"/cuenta/citas/{appointment.pk}/"
    assert appointment.status == Appointment.Status.CONFIRMED and appointment.amount_online == 0
    [message] = mail.outbox
    assert message.to == ["paciente@sonrisa.example"] and "Empaste" in message.subject
    [(filename, ics, mimetype)] = message.attachments
    assert filename == "cita.ics" and mimetype == "text/calendar" and "BEGIN:VEVENT" in ics
    assert f"DTSTART:{at(9).astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}" in ics
    assert patient_client.get("/cuenta/citas/").status_code == HTTPStatus.OK


def test_the_loser_of_a_race_is_told_and_sees_fresh_times(patient_client, clinic_a, in_clinic, lucia):
    with in_clinic(clinic_a):
        other = Patient.objects.create(first_name="Rápido", last_name="Prueba")
        service = Service.objects.get(slug="empaste-obturacion")
        from clinic.actions import BookAppointment

        BookAppointment(patient=other, service=service, practitioner=lucia, start=at(9), pay_online=False).execute()
    response = patient_client.post(review_url("empaste-obturacion", at(9), lucia), {"pay_online": "0"}, follow=True)
    body = response.content.decode()
    assert "ya no está disponible" in body or "no longer available" in body
    assert ">09:00<" not in body and ">10:00<" in body


def test_paying_online_records_one_payment_and_a_receipt(patient_client, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    response = patient_client.post(review_url("blanqueamiento-dental", at(10)))  # deposit 50 of 250
    with in_clinic(clinic_a):
        appointment = Appointment.objects.get(patient__email="paciente@sonrisa.example")
    assert response["Location"] == f"/cuenta/citas/{appointment.pk}/pagar/"
    assert appointment.status == Appointment.Status.PENDING_PAYMENT and appointment.amount_online == 50
    page = patient_client.get(response["Location"])
    secret = page.context["stripe"]["setupSecret"]
    setup_intent = save_card(stripe_api, secret)
    # The browser cannot choose the amount: anything it sends besides the card is ignored.
    charged = patient_client.post(f"/cuenta/citas/{appointment.pk}/pagar/cobro/", json.dumps({"setup_intent": setup_intent, "amount": 1}), content_type="application/json")
    assert charged.status_code == HTTPStatus.OK and charged.json()["state"] == "succeeded"
    with in_clinic(clinic_a):
        customer = Patient.objects.get(pk=appointment.patient_id).stripe_customer
    [intent] = [i for i in stripe_api.PaymentIntent.list(limit=100).data if i.customer == customer]
    assert intent.amount == 5000 and intent.metadata["kind"] == "appointment" and intent.metadata["clinic"] == clinic_a.schema_name
    event = {"id": f"evt_{uuid.uuid4().hex[:12]}", "object": "event", "type": "payment_intent.succeeded", "created": 1_700_000_000,
             "data": {"object": intent.to_dict()}}
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(event)
        deliver_webhook(event)  # redelivered
        deliver_webhook({**event, "id": f"evt_{uuid.uuid4().hex[:12]}"})  # another event, same payment
    with in_clinic(clinic_a):
        [payment] = PatientPayment.objects.filter(appointment=appointment)
        appointment.refresh_from_db()
    assert payment.amount == 50 and payment.method == PatientPayment.Method.ONLINE
    assert appointment.status == Appointment.Status.CONFIRMED
    receipt = patient_client.get(f"/cuenta/recibos/{payment.pk}/")
    assert receipt.status_code == HTTPStatus.OK and payment.receipt_number in receipt.content.decode()
    assert any("confirm" in m.subject.lower() for m in mail.outbox)


def test_cancel_inside_the_window_refunds_outside_is_refused(patient_client, clinic_a, in_clinic, lucia, django_capture_on_commit_callbacks):
    with in_clinic(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
        patient = Patient.objects.get(email="paciente@sonrisa.example")
        soon = Appointment.objects.create(patient=patient, practitioner=lucia, service=service, start=timezone.now() + timedelta(hours=3),
                                          end=timezone.now() + timedelta(hours=3, minutes=45), price=70)
        later = Appointment.objects.create(patient=patient, practitioner=lucia, service=service, start=at(11), end=at(11, 45), price=70)
    patient_client.post(f"/cuenta/citas/{soon.pk}/cancelar/")
    with django_capture_on_commit_callbacks(execute=True):
        patient_client.post(f"/cuenta/citas/{later.pk}/cancelar/", {"reason": "Viaje"})
    with in_clinic(clinic_a):
        soon.refresh_from_db()
        later.refresh_from_db()
    assert soon.status == Appointment.Status.CONFIRMED  # inside the 24-hour window: call the clinic
    assert later.status == Appointment.Status.CANCELLED and later.cancelled_by == Appointment.CancelledBy.PATIENT
    assert "METHOD:CANCEL" in mail.outbox[-1].attachments[0][1]


def test_reschedule_moves_the_appointment(patient_client, clinic_a, in_clinic, lucia):
    with in_clinic(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
        patient = Patient.objects.get(email="paciente@sonrisa.example")
        old = Appointment.objects.create(patient=patient, practitioner=lucia, service=service, start=at(11), end=at(11, 45), price=70)
    response = patient_client.post(f"/cuenta/citas/{old.pk}/cambiar/", {"inicio": at(12).isoformat(), "profesional": lucia.pk})
    with in_clinic(clinic_a):
        old.refresh_from_db()
        new = old.rescheduled_to
    assert response["Location"] == f"/cuenta/citas/{new.pk}/"
    assert old.status == Appointment.Status.CANCELLED and new.start == at(12) and new.status == Appointment.Status.CONFIRMED


def test_a_patient_cannot_reach_another_patients_appointment(patient_client, clinic_a, in_clinic, lucia):
    with in_clinic(clinic_a):
        stranger = Patient.objects.create(first_name="Otra", last_name="Persona", email="otra@correo.example")
        theirs = Appointment.objects.create(patient=stranger, practitioner=lucia, service=Service.objects.get(slug="empaste-obturacion"),
                                            start=at(13), end=at(13, 45), price=70, status=Appointment.Status.PENDING_PAYMENT, amount_online=70)
        payment = PatientPayment.objects.create(patient=stranger, appointment=theirs, amount=70, currency="EUR", method=PatientPayment.Method.CASH)
    for path in (f"/cuenta/citas/{theirs.pk}/", f"/cuenta/citas/{theirs.pk}/pagar/", f"/cuenta/recibos/{payment.pk}/"):
        assert patient_client.get(path).status_code == HTTPStatus.NOT_FOUND, path
    for path in (f"/cuenta/citas/{theirs.pk}/cancelar/", f"/cuenta/citas/{theirs.pk}/cambiar/"):
        assert patient_client.post(path, {"inicio": at(12).isoformat()}).status_code == HTTPStatus.NOT_FOUND, path
    assert patient_client.post(f"/cuenta/citas/{theirs.pk}/pagar/cobro/", "{}", content_type="application/json").status_code == HTTPStatus.NOT_FOUND
    with in_clinic(clinic_a):
        theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.PENDING_PAYMENT
    data = patient_client.get("/cuenta/mis-datos.json").json()
    assert data["patient"]["email"] == "paciente@sonrisa.example"
    assert "Otra" not in json.dumps(data)


@pytest.mark.parametrize(
    "query",
    ["", "servicio=abc", "servicio=999999&desde=2026-12-01&hasta=2026-12-02", "servicio={s}&profesional=999999&desde=2026-12-01&hasta=2026-12-02",
     "servicio={s}&desde=2026-12-10&hasta=2026-12-01", "servicio={s}&desde=2026-12-01&hasta=2027-12-01", "servicio={s}&desde=ayer&hasta=hoy"],
)
def test_the_slots_endpoint_answers_bad_parameters_with_400(client_a, clinic_a, in_clinic, query):
    with in_clinic(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
    response = client_a.get("/reservar/huecos/?" + query.replace("{s}", str(service.pk)))
    assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"]


def test_the_slots_endpoint_lists_free_times(client_a, clinic_a, in_clinic, lucia):
    with in_clinic(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
    day = tuesday()
    data = client_a.get(f"/reservar/huecos/?servicio={service.pk}&profesional={lucia.pk}&desde={day}&hasta={day}").json()
    assert data["time_zone"] == "Europe/Madrid"
    assert data["slots"][0]["start"] == at(9).isoformat() and all(s["practitioner"] == lucia.pk for s in data["slots"])


def test_the_reminder_goes_once_even_if_the_job_runs_twice(clinic_a, in_clinic, lucia, django_capture_on_commit_callbacks):
    with in_clinic(clinic_a):
        patient = Patient.objects.create(first_name="Ana", last_name="Recordatorio", email="ana@correo.example")
        start = timezone.now() + timedelta(hours=20)
        Appointment.objects.create(patient=patient, practitioner=lucia, service=Service.objects.get(slug="empaste-obturacion"), start=start, end=start + timedelta(minutes=45), price=70)
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0
    assert len(mail.outbox) == 1 and "ana@correo.example" in mail.outbox[0].to


def paid_appointment(patient_client, clinic_a, in_clinic, stripe_api, deliver_webhook, capture, start):
    """Book the deposit-paid whitening at ``start``, pay with a new card, deliver the webhook."""
    response = patient_client.post(review_url("blanqueamiento-dental", start))
    appointment_id = int(re.search(r"/cuenta/citas/(\d+)/pagar/", response["Location"]).group(1))
    secret = patient_client.get(response["Location"]).context["stripe"]["setupSecret"]
    setup_intent = save_card(stripe_api, secret)
    patient_client.post(f"/cuenta/citas/{appointment_id}/pagar/cobro/", json.dumps({"setup_intent": setup_intent}), content_type="application/json")
    return appointment_id


def deliver_payment_of(appointment_id, clinic_a, in_clinic, stripe_api, deliver_webhook, capture):
    with in_clinic(clinic_a):
        customer = Patient.objects.get(email="paciente@sonrisa.example").stripe_customer
    intent = [i for i in stripe_api.PaymentIntent.list(limit=100).data if i.customer == customer and i.to_dict()["metadata"].get("appointment") == str(appointment_id)][0]
    with capture(execute=True):
        deliver_webhook({"id": f"evt_{uuid.uuid4().hex[:12]}", "object": "event", "type": "payment_intent.succeeded", "created": 1, "data": {"object": intent.to_dict()}})


def test_cancelling_a_paid_appointment_in_time_refunds_it_through_stripe(
    patient_client, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks
):
    appointment_id = paid_appointment(patient_client, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks, at(10))
    deliver_payment_of(appointment_id, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        patient_client.post(f"/cuenta/citas/{appointment_id}/cancelar/")
    with in_clinic(clinic_a):
        payment = PatientPayment.objects.get(appointment_id=appointment_id)
    assert payment.refunded_amount == payment.amount == 50
    [refund] = [r for r in stripe_api.Refund.list(limit=100).data if r.payment_intent == payment.stripe_payment_intent]
    assert refund.amount == 5000


def test_a_saved_card_pays_the_next_appointment(patient_client, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    paid_appointment(patient_client, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks, at(10))
    response = patient_client.post(review_url("blanqueamiento-dental", at(12)))
    second = int(re.search(r"/cuenta/citas/(\d+)/pagar/", response["Location"]).group(1))
    assert patient_client.get(response["Location"]).context["has_saved_card"] is True
    charged = patient_client.post(f"/cuenta/citas/{second}/pagar/cobro/", json.dumps({"saved_card": True}), content_type="application/json")
    assert charged.status_code == HTTPStatus.OK and charged.json()["state"] == "succeeded"
    deliver_payment_of(second, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks)
    with in_clinic(clinic_a):
        assert Appointment.objects.get(pk=second).status == Appointment.Status.CONFIRMED


def test_scheduled_jobs_run_in_every_clinic(clinic_a, clinic_b, in_clinic, lucia):
    from clinic.tasks import in_every_clinic

    with in_clinic(clinic_a):
        patient = Patient.objects.create(first_name="Hold", last_name="Expired")
        held = Appointment.objects.create(
            patient=patient, practitioner=lucia, service=Service.objects.get(slug="empaste-obturacion"), start=at(11), end=at(11, 45), price=70,
            status=Appointment.Status.PENDING_PAYMENT, hold_expires_at=timezone.now() - timedelta(minutes=1),
        )
    assert in_every_clinic(func_path="clinic.actions.appointments.release_expired_holds") == 2  # sonrisa and alamos (jobs run inline in tests)
    with in_clinic(clinic_a):
        held.refresh_from_db()
    assert held.status == Appointment.Status.CANCELLED


def test_a_nul_byte_in_the_cancel_reason_still_cancels_and_refunds(
    patient_client, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks
):
    """Found on make dev: a NUL byte in the (free-text) reason of a paid appointment's cancel
    was stored raw in the refund row: PostgreSQL refused it and the patient got a 500."""
    appointment_id = paid_appointment(patient_client, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks, at(11))
    deliver_payment_of(appointment_id, clinic_a, in_clinic, stripe_api, deliver_webhook, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(f"/cuenta/citas/{appointment_id}/cancelar/", {"reason": "Viaje\x00 " + "x" * 400})
    assert response.status_code == HTTPStatus.FOUND
    with in_clinic(clinic_a):
        appointment = Appointment.objects.get(pk=appointment_id)
        payment = PatientPayment.objects.get(appointment_id=appointment_id)
    assert appointment.status == Appointment.Status.CANCELLED and appointment.cancel_reason.startswith("Viaje x")
    assert payment.refunded_amount == payment.amount == 50
