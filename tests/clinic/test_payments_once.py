"""Issue 8, items 1 and 2 on the clinic side: an appointment is charged once, the
webhook records only our own Payment Intent, a refund is its own row, and a Stripe
outage during a cancellation changes nothing and says so (real localstripe, real
signed webhooks, real PostgreSQL; the concurrent test uses real threads)."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from billing.models import StripeEvent
from clinic.availability import find_slots
from clinic.actions import BookAppointment
from clinic.models import Appointment, Patient, PatientPayment, PaymentAttempt, Refund, Service
from portal.tenancy import clinic_context
from tests.billing.test_charge_once import race
from tests.conftest import save_card

MADRID = ZoneInfo("Europe/Madrid")
# Simulates a Stripe outage: nothing listens on this port, so every call fails to connect.
CLOSED_PORT = "http://127.0.0.1:9"


def free_slot(service):
    """The first free time of ``service`` three to nine days ahead (outside every change window)."""
    today = timezone.localdate(timezone=MADRID)
    for days in range(3, 10):
        day = today + timedelta(days=days)
        slots = find_slots(service=service, practitioner=None, start=day, end=day)
        if slots:
            return slots[0]
    raise AssertionError("no free slot")


def signed(event: dict, secret: str) -> dict:
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"data": body, "content_type": "application/json", "HTTP_STRIPE_SIGNATURE": f"t={timestamp},v1={digest}"}


def succeeded(intent) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
            "data": {"object": intent.to_dict()}}


def intents_of(stripe_api, customer):
    return [i for i in stripe_api.PaymentIntent.list(limit=100).data if i.customer == customer]


def test_five_concurrent_appointment_payments_charge_once(django_db_setup, django_db_blocker, stripe_api, settings, password):
    """Five "Pagar" POSTs at once for one appointment: one succeeded Payment Intent in
    localstripe, one attempt row, and after the webhooks one ledger row."""
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            patient = Patient.objects.get(email="paciente@sonrisa.example")
            kept = {"stripe_customer": patient.stripe_customer, "saved_card": patient.saved_card}
            service = Service.objects.get(slug="blanqueamiento-dental")  # deposit 50 online
            slot = free_slot(service)
            appointment = BookAppointment(patient=patient, service=service, start=slot.start, practitioner=None).execute()
        events = []
        try:
            browser = Client(HTTP_HOST=clinic.primary_host)
            browser.post("/accounts/login/", {"login": "paciente@sonrisa.example", "password": password})
            secret = browser.get(f"/cuenta/citas/{appointment.pk}/pagar/").context["stripe"]["setupSecret"]
            body = json.dumps({"setup_intent": save_card(stripe_api, secret)})

            def pay(_i):
                client = Client(HTTP_HOST=clinic.primary_host)
                client.cookies.load({key: morsel.value for key, morsel in browser.cookies.items()})
                response = client.post(f"/cuenta/citas/{appointment.pk}/pagar/cobro/", body, content_type="application/json")
                return response.status_code, response.json().get("state")

            results = race(5, pay)
            assert all(isinstance(r, tuple) and r[0] == HTTPStatus.OK for r in results), results
            assert {state for _status, state in results} <= {"succeeded", "processing"}
            with clinic_context(clinic):
                customer = Patient.objects.get(pk=patient.pk).stripe_customer
            intents = intents_of(stripe_api, customer)
            assert [(i.status, i.amount) for i in intents] == [("succeeded", 5000)]
            with clinic_context(clinic):
                [attempt] = PaymentAttempt.objects.filter(appointment=appointment)
            assert attempt.stripe_payment_intent == intents[0].id
            intent = intents[0]

            platform = Client(HTTP_HOST=settings.PLATFORM_HOST)
            for _ in range(2):  # two deliveries of two events for the same payment
                event = succeeded(intent)
                events.append(event["id"])
                assert platform.post("/stripe/webhook/", **signed(event, settings.STRIPE_WEBHOOK_SECRET)).status_code == HTTPStatus.OK
            with clinic_context(clinic):
                assert PatientPayment.objects.filter(appointment=appointment).count() == 1
                assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CONFIRMED
        finally:
            StripeEvent.objects.filter(pk__in=events).delete()
            with clinic_context(clinic):
                Refund.objects.filter(payment__appointment=appointment).delete()
                PatientPayment.objects.filter(appointment=appointment).delete()
                PaymentAttempt.objects.filter(appointment=appointment).delete()
                Appointment.objects.filter(pk=appointment.pk).delete()
                Patient.objects.filter(pk=patient.pk).update(**kept)


# The tests below run in a rolled-back transaction each.


def staff_client(clinic, password):
    client = Client(HTTP_HOST=clinic.primary_host)
    assert client.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": password}).status_code == HTTPStatus.FOUND
    return client


@pytest.fixture
def patient_client(client_a, password):
    client_a.post("/accounts/login/", {"login": "paciente@sonrisa.example", "password": password})
    return client_a


@pytest.fixture
def held(clinic_a, in_clinic, db):
    """An appointment of the demo patient awaiting its online deposit (50 EUR)."""
    with in_clinic(clinic_a):
        patient = Patient.objects.get(email="paciente@sonrisa.example")
        service = Service.objects.get(slug="blanqueamiento-dental")
        return BookAppointment(patient=patient, service=service, start=free_slot(service).start, practitioner=None).execute()


@pytest.fixture
def pay(patient_client, stripe_api, held):
    """The patient pays ``held`` in the page; returns the Payment Intent (not yet webhooked)."""

    def run():
        secret = patient_client.get(f"/cuenta/citas/{held.pk}/pagar/").context["stripe"]["setupSecret"]
        response = patient_client.post(f"/cuenta/citas/{held.pk}/pagar/cobro/", json.dumps({"setup_intent": save_card(stripe_api, secret)}), content_type="application/json")
        assert response.json()["state"] == "succeeded", response.content
        return stripe_api.PaymentIntent.retrieve(PaymentAttempt.objects.get(appointment=held).stripe_payment_intent)

    return run


@pytest.fixture
def paid(pay, deliver_webhook, clinic_a, in_clinic, held, django_capture_on_commit_callbacks):
    """``held``, paid and recorded by the webhook: its PatientPayment."""
    intent = pay()
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(intent))
    with in_clinic(clinic_a):
        mail.outbox.clear()
        return PatientPayment.objects.get(appointment=held)


def test_webhook_for_foreign_payment_intent_records_nothing(pay, held, stripe_api, deliver_webhook, clinic_a, in_clinic, caplog, django_capture_on_commit_callbacks):
    """A correctly signed event about another Payment Intent naming this appointment (made
    by hand, left by a race, another system on the account) adds no ledger row."""
    ours = pay()
    card = stripe_api.PaymentMethod.create(type="card", card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"})
    foreign = stripe_api.PaymentIntent.create(amount=5000, currency="eur", payment_method=card.id, confirm=True, metadata=ours.metadata.to_dict())
    event = succeeded(foreign)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_webhook(event).status_code == HTTPStatus.OK
    with in_clinic(clinic_a):
        assert not PatientPayment.objects.exists()
        assert Appointment.objects.get(pk=held.pk).status == Appointment.Status.PENDING_PAYMENT
    stored = StripeEvent.objects.get(pk=event["id"])
    assert stored.status == StripeEvent.Status.IGNORED and foreign.id in stored.error
    assert f"Stripe event {event['id']} ignored" in caplog.text
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(ours))  # our own intent is still recorded
    with in_clinic(clinic_a):
        assert PatientPayment.objects.get().stripe_payment_intent == ours.id


def test_refund_is_its_own_row(paid, patient_client, clinic_a, in_clinic, stripe_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(f"/cuenta/citas/{paid.appointment_id}/cancelar/", {"reason": "Viaje"})
    assert response.status_code == HTTPStatus.FOUND
    with in_clinic(clinic_a):
        [refund] = Refund.objects.all()
        payment = PatientPayment.objects.get(pk=paid.pk)
        appointment = Appointment.objects.get(pk=paid.appointment_id)
    assert refund.payment_id == payment.pk and refund.amount == 50 and refund.currency == "EUR"
    assert refund.status == Refund.Status.SUCCEEDED and refund.stripe_refund.startswith("re_") and refund.completed_at
    assert refund.requested_by.email == "paciente@sonrisa.example" and "Viaje" in refund.reason
    assert payment.amount == 50 and payment.refunded_amount == 50  # the payment itself is not rewritten
    assert appointment.status == Appointment.Status.CANCELLED
    assert stripe_api.Refund.retrieve(refund.stripe_refund).amount == 5000
    assert len(mail.outbox) == 1  # the cancellation notice


def test_cancel_during_stripe_outage_changes_nothing_and_says_so(paid, patient_client, clinic_a, in_clinic, settings, django_capture_on_commit_callbacks):
    settings.STRIPE_API_BASE = CLOSED_PORT  # simulates a Stripe outage
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(f"/cuenta/citas/{paid.appointment_id}/cancelar/", {"reason": "Viaje"}, follow=True)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode().lower()
    assert "could not be requested" in body or "no se ha podido solicitar" in body
    with in_clinic(clinic_a):
        appointment = Appointment.objects.get(pk=paid.appointment_id)
        assert appointment.status == Appointment.Status.CONFIRMED
        assert PatientPayment.objects.get(pk=paid.pk).refunded_amount == 0
        [refund] = Refund.objects.all()  # left pending with the error, for staff to see and a retry to send
    assert refund.status == Refund.Status.PENDING and refund.failure_message
    assert mail.outbox == []


def test_a_cancel_retried_after_an_outage_refunds_once(paid, patient_client, clinic_a, in_clinic, settings, stripe_api, django_capture_on_commit_callbacks):
    """Stripe unreachable means the refund may or may not have happened: the retry sends the
    same row under the same idempotency key, never a second refund (found in review)."""
    real_api = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = CLOSED_PORT  # simulates a Stripe outage
    with django_capture_on_commit_callbacks(execute=True):
        patient_client.post(f"/cuenta/citas/{paid.appointment_id}/cancelar/", {"reason": "Viaje"})
    settings.STRIPE_API_BASE = real_api  # Stripe is back; the patient tries again
    with django_capture_on_commit_callbacks(execute=True):
        patient_client.post(f"/cuenta/citas/{paid.appointment_id}/cancelar/", {"reason": "Viaje"})
    with in_clinic(clinic_a):
        [refund] = Refund.objects.all()
        assert refund.status == Refund.Status.SUCCEEDED
        assert Appointment.objects.get(pk=paid.appointment_id).status == Appointment.Status.CANCELLED
        assert PatientPayment.objects.get(pk=paid.pk).refunded_amount == paid.amount
    refunds = stripe_api.Refund.list(payment_intent=paid.stripe_payment_intent).data
    assert [r.amount for r in refunds] == [5000]
    assert len(mail.outbox) == 1  # one cancellation notice


def test_a_second_cancel_while_the_refund_is_in_flight_does_not_cancel(paid, clinic_a, in_clinic):
    """Two cancels at once: the one that finds the other's refund still being sent does not
    cancel on its strength (if that refund then failed, the clinic would keep the money of a
    cancelled appointment; found in review)."""
    from clinic.actions import CancelAppointment, RefundUnavailable
    from clinic.refunds import request_refund

    with in_clinic(clinic_a):
        appointment = Appointment.objects.get(pk=paid.appointment_id)
        # The first request's refund: written, claimed, its Stripe call under way.
        refund = request_refund(payment=paid, amount=paid.amount, reason="cancelled by patient")
        Refund.objects.filter(pk=refund.pk).update(attempted_at=timezone.now())
        with pytest.raises(RefundUnavailable):
            CancelAppointment(appointment, by=Appointment.CancelledBy.PATIENT, reason="Viaje").execute()
        assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CONFIRMED
        assert Refund.objects.get().status == Refund.Status.PENDING
    assert mail.outbox == []


def test_staff_cancel_during_stripe_outage_changes_nothing_and_says_so(paid, clinic_a, in_clinic, password, settings, django_capture_on_commit_callbacks):
    client_a = staff_client(clinic_a, password)
    with in_clinic(clinic_a):
        appointment = Appointment.objects.get(pk=paid.appointment_id)

    def wall(value):
        return timezone.localtime(value, MADRID).strftime("%Y-%m-%d %H:%M")

    settings.STRIPE_API_BASE = CLOSED_PORT  # simulates a Stripe outage
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(f"/admin/clinic/appointment/edit/{appointment.pk}/", {
            "patient": appointment.patient_id, "practitioner": appointment.practitioner_id, "service": appointment.service_id,
            "start": wall(appointment.start), "end": wall(appointment.end), "status": "cancelled", "cancel_reason": "Enferma",
        })
    assert response.status_code == HTTPStatus.OK  # the form again, not a 500
    body = response.content.decode().lower()
    assert "could not be requested" in body or "no se ha podido solicitar" in body
    with in_clinic(clinic_a):
        assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CONFIRMED
        assert PatientPayment.objects.get(pk=paid.pk).refunded_amount == 0
    assert mail.outbox == []
    # The failed refund stays visible to staff who see payments; nobody types refunds in.
    listing = client_a.get("/admin/clinic/refund/")
    assert listing.status_code == HTTPStatus.OK and "communicating with Stripe" in listing.content.decode()
    assert client_a.get("/admin/clinic/refund/new/").status_code != HTTPStatus.OK


def test_staff_cancel_refunds_after_the_transaction(paid, clinic_a, in_clinic, password, django_capture_on_commit_callbacks):
    client_a = staff_client(clinic_a, password)
    with in_clinic(clinic_a):
        appointment = Appointment.objects.get(pk=paid.appointment_id)
    wall = lambda value: timezone.localtime(value, MADRID).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(f"/admin/clinic/appointment/edit/{appointment.pk}/", {
            "patient": appointment.patient_id, "practitioner": appointment.practitioner_id, "service": appointment.service_id,
            "start": wall(appointment.start), "end": wall(appointment.end), "status": "cancelled", "cancel_reason": "Enferma",
        })
    assert response.status_code == HTTPStatus.FOUND
    with in_clinic(clinic_a):
        appointment.refresh_from_db()
        [refund] = Refund.objects.all()
    assert appointment.status == Appointment.Status.CANCELLED and appointment.cancelled_by == Appointment.CancelledBy.CLINIC
    assert appointment.cancel_reason == "Enferma"
    assert refund.status == Refund.Status.SUCCEEDED and refund.requested_by.email == "recepcion@sonrisa.example"


def test_a_payment_landing_after_the_patient_cancelled_is_refunded(pay, held, patient_client, deliver_webhook, clinic_a, in_clinic, django_capture_on_commit_callbacks):
    intent = pay()
    with in_clinic(clinic_a):  # cancelled (by the patient, moved elsewhere) while the card was charged
        Appointment.objects.filter(pk=held.pk).update(status=Appointment.Status.CANCELLED, cancelled_by=Appointment.CancelledBy.PATIENT)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(intent))
    with in_clinic(clinic_a):
        payment = PatientPayment.objects.get()
        [refund] = Refund.objects.all()
    assert refund.status == Refund.Status.SUCCEEDED and refund.requested_by is None  # the system refunded
    assert payment.refunded_amount == payment.amount


HUGE_ID = json.dumps({"setup_intent": "seti_" + "A" * 100_000}).encode()
NOT_OBJECTS = [b"[]", b"null", b'"x"', b"123", b"{", b"", b'{"setup_intent": 5}', b'{"setup_intent": ["seti_1"]}', b'{"saved_card": "yes"}', HUGE_ID, b'{"setup_intent": "pi_123"}']


@pytest.mark.parametrize(
    "body", NOT_OBJECTS,
    ids=["list", "null", "string", "number", "broken", "empty", "number-field", "list-field", "no-card", "huge-id", "not-a-setup-intent"],
)
def test_pay_endpoints_refuse_non_object_json(body, held, patient_client, platform_client, clinic_a, in_clinic, stripe_api):
    """Both pay endpoints: a translated 400 with a message, and nothing charged or stored."""
    from billing.models import Payment
    from tenants.models import Plan, Signup

    signup = Signup.objects.create(
        clinic_name="Clínica JSON", slug="json-raro", contact_name="Jaime", email="jaime@json.example", phone="+34 600 000 003",
        country="ES", time_zone="Europe/Madrid", plan=Plan.objects.get(code="mensual"), accepted_terms_at=timezone.now(),
    )
    before = len(stripe_api.PaymentIntent.list(limit=100).data)
    for client, url in ((platform_client, f"/alta/{signup.pk}/pagar/"), (patient_client, f"/cuenta/citas/{held.pk}/pagar/cobro/")):
        response = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == HTTPStatus.BAD_REQUEST, (url, response.content)
        assert response.json()["error"]
    assert not Payment.objects.filter(signup=signup).exists()
    with in_clinic(clinic_a):
        assert not PaymentAttempt.objects.exists()
        assert Appointment.objects.get(pk=held.pk).status == Appointment.Status.PENDING_PAYMENT
    assert len(stripe_api.PaymentIntent.list(limit=100).data) == before


def test_a_refund_left_pending_is_sent_by_the_sweep(paid, clinic_a, in_clinic):
    """A refund whose job was lost (worker killed after commit) is sent by the scheduled sweep, once."""
    from clinic.refunds import request_refund, retry_stuck_refunds

    with in_clinic(clinic_a):
        refund = request_refund(payment=paid, amount=paid.amount, reason="lost job")
        Refund.objects.filter(pk=refund.pk).update(created=timezone.now() - timedelta(minutes=11))
        assert retry_stuck_refunds() == 1
        assert retry_stuck_refunds() == 0
        refund.refresh_from_db()
        assert refund.status == Refund.Status.SUCCEEDED and PatientPayment.objects.get(pk=paid.pk).refunded_amount == paid.amount


def test_a_refund_that_fails_later_is_reconciled_by_the_webhook(paid, patient_client, clinic_a, in_clinic, deliver_webhook, django_capture_on_commit_callbacks):
    """localstripe never sends refund events, so the event is written here the way Stripe
    sends ``refund.failed`` (real signature, real processing)."""
    with django_capture_on_commit_callbacks(execute=True):
        patient_client.post(f"/cuenta/citas/{paid.appointment_id}/cancelar/")
    with in_clinic(clinic_a):
        refund = Refund.objects.get()
    obj = {"id": refund.stripe_refund, "object": "refund", "status": "failed", "failure_reason": "expired_or_canceled_card",
           "metadata": {"kind": "refund", "clinic": clinic_a.schema_name, "refund": str(refund.pk)}}
    forged = {**obj, "id": "re_someone_else"}
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook({"id": "evt_refund_other", "object": "event", "type": "refund.failed", "created": 1_700_000_000, "data": {"object": forged}})
        deliver_webhook({"id": "evt_refund_failed", "object": "event", "type": "refund.failed", "created": 1_700_000_000, "data": {"object": obj}})
    assert StripeEvent.objects.get(pk="evt_refund_other").status == StripeEvent.Status.IGNORED
    assert StripeEvent.objects.get(pk="evt_refund_failed").status == StripeEvent.Status.PROCESSED
    with in_clinic(clinic_a):
        refund.refresh_from_db()
        assert refund.status == Refund.Status.FAILED and "expired_or_canceled_card" in refund.failure_message
        assert PatientPayment.objects.get(pk=paid.pk).refunded_amount == 0
