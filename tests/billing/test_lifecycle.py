"""Renewals charged off-session with the saved card; failure → past due → grace → suspended
(503 pages, billing notice for staff) → paying reactivates at once. Nothing is deleted."""

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import Payment, Subscription
from billing.subscriptions import charge_renewal, run_billing_cycle
from tenants.models import Clinic, Plan
from tests.conftest import save_card

pytestmark = pytest.mark.django_db

GOOD, DECLINES = "4242424242424242", "4000000000000341"


@pytest.fixture
def subscribed(clinic_a, stripe_api):
    """Sonrisa on the monthly plan, its period just over, with a saved card."""

    def make(card=GOOD):
        customer = stripe_api.Customer.create(email="admin@sonrisa.example")
        method = stripe_api.PaymentMethod.create(type="card", card={"number": card, "exp_month": 12, "exp_year": 2031, "cvc": "123"})
        stripe_api.PaymentMethod.attach(method.id, customer=customer.id)
        Clinic.objects.filter(pk=clinic_a.pk).update(paid_until=timezone.now() - timedelta(hours=1), plan=Plan.objects.get(code="mensual"))
        return Subscription.objects.create(clinic=clinic_a, plan=Plan.objects.get(code="mensual"), stripe_customer=customer.id, payment_method=method.id)

    return make


def status_of(clinic):
    return Clinic.objects.get(pk=clinic.pk).status


def test_a_due_renewal_is_charged_once_and_moves_paid_until(subscribed, clinic_a, django_capture_on_commit_callbacks):
    subscription = subscribed()
    before = Clinic.objects.get(pk=clinic_a.pk).paid_until
    with django_capture_on_commit_callbacks(execute=True):
        assert run_billing_cycle()["charged"] == 1
        assert run_billing_cycle()["charged"] == 0  # nothing due any more
        charge_renewal(subscription_id=subscription.pk)  # a duplicated job finds the paid period
    [payment] = Payment.objects.filter(clinic=clinic_a)
    assert payment.status == Payment.Status.SUCCEEDED and payment.amount == 49
    assert Clinic.objects.get(pk=clinic_a.pk).paid_until > before + timedelta(days=27)
    assert [m.to for m in mail.outbox] == [["admin@sonrisa.example"]]
    assert "49,00" in mail.outbox[0].body or "49.00" in mail.outbox[0].body


def test_failed_renewal_grace_suspension_and_reactivation(subscribed, clinic_a, client_a, password, stripe_api, django_capture_on_commit_callbacks):
    subscription = subscribed(card=DECLINES)
    with django_capture_on_commit_callbacks(execute=True):
        run_billing_cycle()
    subscription.refresh_from_db()
    assert status_of(clinic_a) == Clinic.Status.PAST_DUE
    assert subscription.failed_attempts == 1 and subscription.next_attempt_at > timezone.now()
    assert "/admin/facturacion/" in mail.outbox[-1].body  # a link to update the card
    assert client_a.get("/").status_code == HTTPStatus.OK  # still open during the grace period

    # The retry is not due yet: the cycle leaves it alone.
    with django_capture_on_commit_callbacks(execute=True):
        assert run_billing_cycle()["charged"] == 0

    # Grace over → suspended: public and patient pages answer 503 with a notice.
    Subscription.objects.filter(pk=subscription.pk).update(past_due_since=timezone.now() - timedelta(days=8))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_billing_cycle()["suspended"] == 1
    assert status_of(clinic_a) == Clinic.Status.SUSPENDED
    for path in ("/", "/servicios/", "/cuenta/", "/accounts/signup/"):
        response = client_a.get(path)
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, path
        assert "temporalmente" in response.content.decode() or "temporarily" in response.content.decode()

    # Staff still sign in and see the billing notice and a way to pay.
    client_a.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    dashboard = client_a.get("/admin/").content.decode()
    assert "/admin/facturacion/" in dashboard
    page = client_a.get("/admin/facturacion/?tarjeta=1")
    assert page.status_code == HTTPStatus.OK
    secret = page.context["stripe"]["setupSecret"]

    # A new card, saved in the page, pays at once and reactivates the clinic.
    setup_intent = save_card(stripe_api, secret, GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post("/admin/facturacion/tarjeta/", json.dumps({"setup_intent": setup_intent}), content_type="application/json")
    assert response.status_code == HTTPStatus.OK
    assert status_of(clinic_a) == Clinic.Status.ACTIVE
    assert client_a.get("/").status_code == HTTPStatus.OK
    assert Payment.objects.filter(clinic=clinic_a, status=Payment.Status.SUCCEEDED).count() == 1


def test_billing_page_is_for_clinic_admins_only(client_a, password):
    client_a.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": password})
    response = client_a.get("/admin/facturacion/")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/admin/"  # Wagtail's "permission denied"
    assert client_a.post("/admin/facturacion/", {"action": "cancel"}).status_code == HTTPStatus.FOUND
    assert not Subscription.objects.filter(cancel_at_period_end=True).exists()


def test_cancel_at_period_end_ends_without_deleting(subscribed, clinic_a, client_a, password, django_capture_on_commit_callbacks):
    subscription = subscribed()
    Clinic.objects.filter(pk=clinic_a.pk).update(paid_until=timezone.now() + timedelta(days=3))
    client_a.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    client_a.post("/admin/facturacion/", {"action": "cancel"})
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end
    Clinic.objects.filter(pk=clinic_a.pk).update(paid_until=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = run_billing_cycle()
    assert result == {"charged": 0, "suspended": 0, "cancelled": 1}
    assert status_of(clinic_a) == Clinic.Status.CANCELLED
    assert client_a.get("/servicios/").status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert Clinic.objects.filter(pk=clinic_a.pk).exists() and not Payment.objects.filter(clinic=clinic_a).exists()


def test_operators_suspend_and_reactivate(platform_client, password, clinic_a, client_a):
    platform_client.post("/admin/login/", {"username": "operador@platform.example", "password": password})
    changelist = "/admin/tenants/clinic/"
    platform_client.post(changelist, {"action": "suspend", "_selected_action": [clinic_a.pk]})
    assert status_of(clinic_a) == Clinic.Status.SUSPENDED
    assert client_a.get("/").status_code == HTTPStatus.SERVICE_UNAVAILABLE
    platform_client.post(changelist, {"action": "reactivate", "_selected_action": [clinic_a.pk]})
    assert client_a.get("/").status_code == HTTPStatus.OK


def test_a_trial_without_a_card_is_asked_for_one_once_then_past_due(clinic_a, django_capture_on_commit_callbacks):
    trial = Plan.objects.get(code="prueba")
    trial.price = 29
    trial.save()
    Clinic.objects.filter(pk=clinic_a.pk).update(paid_until=timezone.now() + timedelta(days=2), plan=trial)
    Subscription.objects.create(clinic=clinic_a, plan=trial)
    with django_capture_on_commit_callbacks(execute=True):
        run_billing_cycle()
        run_billing_cycle()
    assert len(mail.outbox) == 1 and "?tarjeta=1" in mail.outbox[0].body
    Clinic.objects.filter(pk=clinic_a.pk).update(paid_until=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        run_billing_cycle()
    assert status_of(clinic_a) == Clinic.Status.PAST_DUE
    assert Payment.objects.get(clinic=clinic_a).failure_message == "no card on file"


def test_a_renewal_under_way_is_not_charged_again(subscribed, clinic_a, stripe_api, settings, django_capture_on_commit_callbacks):
    """Stripe cannot be reached (simulated by a closed port): the outcome is unknown, so the
    period stays claimed; a second job at once charges nothing; after the claim goes stale
    the same try is sent again (same idempotency key) and the period is paid once."""
    subscription = subscribed()
    real = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # simulates a Stripe outage
    with django_capture_on_commit_callbacks(execute=True):
        payment = charge_renewal(subscription_id=subscription.pk)
    assert payment.status == Payment.Status.PENDING and payment.attempted_at and not payment.stripe_payment_intent
    assert Clinic.objects.get(pk=clinic_a.pk).status == Clinic.Status.ACTIVE  # an outage is not a decline
    settings.STRIPE_API_BASE = real
    stripe_api.api_base = real
    with django_capture_on_commit_callbacks(execute=True):
        charge_renewal(subscription_id=subscription.pk)  # another job while the first is "under way"
    assert not [i for i in stripe_api.PaymentIntent.list(limit=100).data if i.customer == subscription.stripe_customer]
    Payment.objects.filter(pk=payment.pk).update(attempted_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        charge_renewal(subscription_id=subscription.pk)
        charge_renewal(subscription_id=subscription.pk)
    intents = [i for i in stripe_api.PaymentIntent.list(limit=100).data if i.customer == subscription.stripe_customer]
    assert [i.status for i in intents] == ["succeeded"]
    [payment] = Payment.objects.filter(clinic=clinic_a)
    assert payment.status == Payment.Status.SUCCEEDED and payment.stripe_payment_intent == intents[0].id


def test_webhook_for_foreign_payment_intent_records_nothing_for_a_renewal(subscribed, clinic_a, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    """A declined renewal, then a signed "succeeded" event for an intent we never stored for
    it (made by hand with the same metadata): the period stays unpaid, the event ignored."""
    from billing.models import StripeEvent

    subscription = subscribed(card=DECLINES)
    with django_capture_on_commit_callbacks(execute=True):
        payment = charge_renewal(subscription_id=subscription.pk)
    assert payment.status == Payment.Status.FAILED
    card = stripe_api.PaymentMethod.create(type="card", card={"number": GOOD, "exp_month": 12, "exp_year": 2031, "cvc": "123"})
    foreign = stripe_api.PaymentIntent.create(amount=4900, currency="eur", payment_method=card.id, confirm=True,
                                              metadata={"kind": "renewal", "clinic": clinic_a.schema_name, "payment": str(payment.pk)})
    event = {"id": "evt_foreign_renewal", "object": "event", "type": "payment_intent.succeeded", "created": 1_700_000_000, "data": {"object": foreign.to_dict()}}
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(event)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED and status_of(clinic_a) == Clinic.Status.PAST_DUE
    assert StripeEvent.objects.get(pk="evt_foreign_renewal").status == StripeEvent.Status.IGNORED


@pytest.mark.parametrize("body", ["[]", "null", '"x"', "123", '{"setup_intent": 5}', "{not json"])
def test_card_endpoint_refuses_json_that_is_not_an_object(body, subscribed, client_a, password):
    """The clinic's billing card endpoint, like the signup and appointment pay endpoints
    (issue 8, item 13): a body that is not a JSON object is a 400, never a 500, and
    changes nothing."""
    subscription = subscribed()
    client_a.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    response = client_a.post("/admin/facturacion/tarjeta/", body, content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]
    subscription.refresh_from_db()
    assert subscription.payment_method.startswith("pm_") and not Payment.objects.filter(clinic=subscription.clinic).exists()
