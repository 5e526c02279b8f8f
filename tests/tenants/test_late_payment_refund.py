"""Issue 8, item 4: a signup paid after it expired, whose address was taken meanwhile, is
refunded by itself with an e-mail, never left paid and forgotten (real localstripe over
HTTP, real signed webhooks, real PostgreSQL)."""

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core import mail
from django.utils import timezone, translation

from billing.conf import billing_settings
from billing.models import Payment, PlatformRefund, StripeEvent
from billing.refunds import retry_pending_refunds
from tenants.models import Clinic, Plan, Signup
from tests.tenants.test_operator_admin import operator_login
from tests.tenants.test_signup import form_data, paid_signup, succeeded_event  # noqa: F401 - paid_signup is a fixture
from theme.templatetags.theme_tags import money

pytestmark = pytest.mark.django_db

# Simulates a Stripe outage: nothing listens on this port, so every call fails to connect.
CLOSED_PORT = "http://127.0.0.1:9"
ADDRESS = "dental-norte.localhost"


def take_the_address():
    """While the payment was on its way, the signup expired and someone else took its address."""
    return Signup.objects.create(
        **{k: v for k, v in form_data(email="rapida@norte.example").items() if k not in ("plan", "accept_terms")},
        plan=Plan.objects.get(code="mensual"), accepted_terms_at=timezone.now(),
    )


def expire(signup, language="es"):
    Signup.objects.filter(pk=signup.pk).update(status=Signup.Status.EXPIRED, language=language)
    take_the_address()


def stripe_refunds(stripe_api, payment_intent):
    stripe_api.api_base = billing_settings.api_base  # the gateway may have left it on the closed port
    return stripe_api.Refund.list(payment_intent=payment_intent).data


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_late_payment_for_a_taken_address_is_refunded_once_with_an_email(
    language, paid_signup, stripe_api, deliver_webhook, platform_client, django_capture_on_commit_callbacks  # noqa: F811
):
    signup, payment = paid_signup
    expire(signup, language)
    event = succeeded_event(stripe_api, payment.stripe_payment_intent)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_webhook(event).status_code == HTTPStatus.OK

    [stripe_refund] = stripe_refunds(stripe_api, payment.stripe_payment_intent)
    assert stripe_refund.amount == 4900 and stripe_refund.currency == "eur"
    [refund] = PlatformRefund.objects.all()
    assert refund.payment_id == payment.pk and refund.status == PlatformRefund.Status.SUCCEEDED
    assert refund.stripe_refund == stripe_refund.id and refund.amount == Decimal("49.00") and refund.currency == "EUR"
    assert refund.requested_by is None and refund.completed_at and refund.notified_at  # the system refunded
    payment.refresh_from_db()
    signup.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED  # the payment itself is not rewritten
    # Expired (outside the unique index on open addresses), paid, with the note for operators.
    assert signup.status == Signup.Status.EXPIRED and signup.paid_at and "refunded automatically" in signup.error
    assert not Clinic.objects.filter(slug="dental-norte").exists()
    assert Signup.objects.get(email="rapida@norte.example").status == Signup.Status.PENDING_PAYMENT  # the other keeps the address

    [email] = mail.outbox
    assert email.to == [signup.email]
    with translation.override(language):
        amount = money(Decimal("49.00"), "EUR")
    assert ADDRESS in email.subject and ADDRESS in email.body and amount in email.body
    assert ("49,00" if language == "es" else "49.00") in amount  # the recipient's number format
    if language == "en":
        assert "We have refunded your payment" in email.subject and "we have refunded the" in email.body

    # The status page says so (in the visitor's language), not a 404.
    page = platform_client.get(f"/alta/{signup.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == HTTPStatus.OK
    state = platform_client.get(f"/alta/{signup.pk}/estado/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert state["status"] == "expired" and state["refund"] == "succeeded"
    assert state["message"] in page.content.decode()
    assert ADDRESS in state["message"]

    # The same event redelivered, and another event for the same payment: nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_webhook(event).status_code == HTTPStatus.OK
        assert deliver_webhook(succeeded_event(stripe_api, payment.stripe_payment_intent)).status_code == HTTPStatus.OK
    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 2
    assert len(stripe_refunds(stripe_api, payment.stripe_payment_intent)) == 1
    assert PlatformRefund.objects.count() == 1 and len(mail.outbox) == 1


def test_the_status_page_of_a_refunded_signup_reads_in_english(paid_signup, stripe_api, deliver_webhook, platform_client, django_capture_on_commit_callbacks):  # noqa: F811
    signup, payment = paid_signup
    expire(signup)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded_event(stripe_api, payment.stripe_payment_intent))
    with translation.override("en"):
        from tenants.views import _state

        signup.refresh_from_db()
        message = _state(signup)["message"]
    assert message == (
        f"Your address {ADDRESS} was taken while your payment was on its way, so we could not create your site. "
        f"We have refunded your payment of 49.00\u00a0€ in full and sent the details to {signup.email}."
    )


def test_a_stripe_outage_during_the_refund_leaves_it_visible_and_the_sweep_refunds_once(
    paid_signup, stripe_api, deliver_webhook, platform_client, password, settings, django_capture_on_commit_callbacks  # noqa: F811
):
    signup, payment = paid_signup
    expire(signup)
    real_api = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = CLOSED_PORT  # simulates a Stripe outage while the refund job runs
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_webhook(succeeded_event(stripe_api, payment.stripe_payment_intent)).status_code == HTTPStatus.OK
    [refund] = PlatformRefund.objects.all()
    # Stripe could not be reached: the outcome is unknown, so it stays pending, with the message.
    assert refund.status == PlatformRefund.Status.PENDING and refund.attempts == 1 and refund.failure_message
    assert mail.outbox == []
    state = platform_client.get(f"/alta/{signup.pk}/estado/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert state["refund"] == "pending" and "We are refunding your payment of 49.00\u00a0€" in state["message"]

    operator_login(platform_client, password)
    listing = platform_client.get("/admin/billing/platformrefund/?status__exact=pending")
    assert listing.status_code == HTTPStatus.OK and refund.failure_message[:40] in listing.content.decode()

    # Still down ten minutes later: the sweep tries again and keeps it pending.
    PlatformRefund.objects.filter(pk=refund.pk).update(created=timezone.now() - timedelta(minutes=11), attempted_at=timezone.now() - timedelta(minutes=11))
    assert retry_pending_refunds() == 1
    assert retry_pending_refunds() == 0  # just tried: not again before ten minutes
    refund.refresh_from_db()
    assert refund.status == PlatformRefund.Status.PENDING and refund.attempts == 2

    # Stripe is back: the next sweep refunds, once, and the e-mail goes out once.
    settings.STRIPE_API_BASE = real_api
    assert stripe_refunds(stripe_api, payment.stripe_payment_intent) == []
    PlatformRefund.objects.filter(pk=refund.pk).update(attempted_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_pending_refunds() == 1
        assert retry_pending_refunds() == 0
    refund.refresh_from_db()
    assert refund.status == PlatformRefund.Status.SUCCEEDED and refund.failure_message == ""
    assert len(stripe_refunds(stripe_api, payment.stripe_payment_intent)) == 1
    [email] = mail.outbox
    assert ADDRESS in email.body


def test_a_failed_refund_is_sent_again_by_an_operator_once(
    paid_signup, stripe_api, deliver_webhook, platform_client, password, settings, django_capture_on_commit_callbacks  # noqa: F811
):
    signup, payment = paid_signup
    expire(signup)
    real_api = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = CLOSED_PORT  # simulates a Stripe outage that lasts through every automatic try
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded_event(stripe_api, payment.stripe_payment_intent))
    for _attempt in range(PlatformRefund.MAX_ATTEMPTS - 1):
        PlatformRefund.objects.update(attempted_at=timezone.now() - timedelta(minutes=11), created=timezone.now() - timedelta(minutes=11))
        retry_pending_refunds()
    [refund] = PlatformRefund.objects.all()
    assert refund.status == PlatformRefund.Status.FAILED and refund.attempts == PlatformRefund.MAX_ATTEMPTS
    assert retry_pending_refunds() == 0  # failed waits for an operator

    operator_login(platform_client, password)
    listing = platform_client.get("/admin/billing/platformrefund/?status__exact=failed").content.decode()
    assert "Send the selected failed refunds again" in listing or "send_again" in listing
    settings.STRIPE_API_BASE = real_api
    with django_capture_on_commit_callbacks(execute=True):
        for _click in range(2):  # a double click
            response = platform_client.post("/admin/billing/platformrefund/", {"action": "send_again", "_selected_action": [str(refund.pk)]})
            assert response.status_code == HTTPStatus.FOUND
    refund.refresh_from_db()
    assert refund.status == PlatformRefund.Status.SUCCEEDED
    assert len(stripe_refunds(stripe_api, payment.stripe_payment_intent)) == 1 and len(mail.outbox) == 1


def test_a_refund_whose_job_was_lost_is_sent_by_the_sweep(paid_signup, stripe_api, deliver_webhook):  # noqa: F811
    """The worker died after the webhook job committed, before the refund job ran."""
    signup, payment = paid_signup
    expire(signup)
    deliver_webhook(succeeded_event(stripe_api, payment.stripe_payment_intent))  # on-commit work is never run here
    [refund] = PlatformRefund.objects.all()
    assert refund.status == PlatformRefund.Status.PENDING and refund.attempted_at is None
    assert retry_pending_refunds() == 0  # a fresh row belongs to its own job for ten minutes
    PlatformRefund.objects.update(created=timezone.now() - timedelta(minutes=11))
    assert retry_pending_refunds() == 1
    refund.refresh_from_db()
    assert refund.status == PlatformRefund.Status.SUCCEEDED and len(stripe_refunds(stripe_api, payment.stripe_payment_intent)) == 1


def test_stripe_reporting_the_refund_failed_later_puts_it_back_for_an_operator(
    paid_signup, stripe_api, deliver_webhook, django_capture_on_commit_callbacks  # noqa: F811
):
    """localstripe never sends refund events, so the event is written here the way Stripe
    sends ``refund.failed`` (real signature, real processing)."""
    signup, payment = paid_signup
    expire(signup)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded_event(stripe_api, payment.stripe_payment_intent))
    refund = PlatformRefund.objects.get()
    obj = {"id": refund.stripe_refund, "object": "refund", "status": "failed", "failure_reason": "expired_or_canceled_card",
           "metadata": {"kind": "platform_refund", "refund": str(refund.pk), "payment": str(payment.pk)}}
    forged = {**obj, "id": "re_not_ours"}
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook({"id": "evt_platform_refund_other", "object": "event", "type": "refund.failed", "created": 1_700_000_000, "data": {"object": forged}})
        deliver_webhook({"id": "evt_platform_refund_failed", "object": "event", "type": "refund.failed", "created": 1_700_000_000, "data": {"object": obj}})
    assert StripeEvent.objects.get(pk="evt_platform_refund_other").status == StripeEvent.Status.IGNORED
    assert StripeEvent.objects.get(pk="evt_platform_refund_failed").status == StripeEvent.Status.PROCESSED
    refund.refresh_from_db()
    assert refund.status == PlatformRefund.Status.FAILED and "expired_or_canceled_card" in refund.failure_message
