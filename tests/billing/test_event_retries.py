"""Issue 8, item 3: failed Stripe events are retried with backoff and a cap, then stay
visible to operators as failed; the operators' reprocess action still works."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from billing.models import Payment, StripeEvent
from billing.services import reprocess_failed
from tenants.models import Plan, Signup

pytestmark = pytest.mark.django_db


@pytest.fixture
def signup_mid_payment():
    """A signup whose payment row is claimed but has no intent stored yet."""
    plan = Plan.objects.get(code="mensual")
    signup = Signup.objects.create(
        clinic_name="Clínica Reintento", slug="reintento", contact_name="Rita", email="rita@reintento.example", phone="+34 600 000 002",
        country="ES", time_zone="Europe/Madrid", plan=plan, accepted_terms_at=timezone.now(),
    )
    now = timezone.now()
    payment = Payment.objects.create(signup=signup, kind=Payment.Kind.FIRST_PERIOD, amount=plan.price, currency=plan.currency,
                                     period_start=now, period_end=now + timedelta(days=30), attempted_at=now)
    return signup, payment


def event_for(signup):
    return {"id": "evt_retry_me", "object": "event", "type": "payment_intent.succeeded", "created": 1_700_000_000,
            "data": {"object": {"id": "pi_late_store", "object": "payment_intent", "amount": 4900, "currency": "eur", "status": "succeeded",
                                "metadata": {"kind": "signup", "signup": str(signup.pk)}}}}


def stored():
    return StripeEvent.objects.get(pk="evt_retry_me")


def time_passes():
    """The backoff is over (instead of waiting minutes)."""
    StripeEvent.objects.filter(pk="evt_retry_me").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_failed_events_back_off_and_stop_after_five_attempts(signup_mid_payment, deliver_webhook, platform_client, password):
    signup, payment = signup_mid_payment
    assert deliver_webhook(event_for(signup)).status_code == HTTPStatus.OK  # attempt 1, at once
    delays = []
    for attempt in range(1, 5):
        event = stored()
        assert event.status == StripeEvent.Status.RETRYING and event.attempts == attempt and "no Payment Intent stored yet" in event.error
        delays.append(round((event.next_attempt_at - timezone.now()).total_seconds() / 60))
        assert reprocess_failed() == 0  # not due yet: nothing runs every 15 minutes forever
        time_passes()
        assert reprocess_failed() == 1
    assert delays == [1, 5, 25, 125]
    event = stored()
    assert event.status == StripeEvent.Status.FAILED and event.attempts == 5 and event.next_attempt_at is None and event.processed_at is None
    time_passes()
    assert reprocess_failed() == 0  # the cap: it waits for an operator
    assert stored().attempts == 5

    platform_client.post("/admin/login/", {"username": "operador@platform.example", "password": password})
    listing = platform_client.get("/admin/billing/stripeevent/?status__exact=failed").content.decode()
    assert "evt_retry_me" in listing and "no Payment Intent stored yet" in listing

    # The cause goes away (the intent is stored); the operator's action processes it.
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent="pi_late_store")
    response = platform_client.post("/admin/billing/stripeevent/", {"action": "reprocess", "_selected_action": ["evt_retry_me"]})
    assert response.status_code == HTTPStatus.FOUND
    event = stored()
    assert event.status == StripeEvent.Status.PROCESSED and event.attempts == 6 and event.error == ""
    signup.refresh_from_db()
    assert signup.status == Signup.Status.PAID


def test_a_lost_first_job_is_picked_up_by_the_sweep(signup_mid_payment):
    signup, _payment = signup_mid_payment
    StripeEvent.objects.create(id="evt_retry_me", type="payment_intent.succeeded", payload=event_for(signup), received_at=timezone.now() - timedelta(minutes=2))
    assert reprocess_failed() == 1
    assert stored().attempts == 1 and stored().status == StripeEvent.Status.RETRYING


def test_the_retry_schedule_runs_every_minute():
    from tenants.services import SCHEDULES

    [(minutes)] = [entry[2] for entry in SCHEDULES if entry[1] == "billing.services.reprocess_failed"]
    assert minutes == 1
