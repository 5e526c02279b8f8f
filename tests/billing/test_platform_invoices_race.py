"""Issue 11, item 5: the platform's invoices under concurrency, with real commits (so this
module has no test transaction) and each thread on its own connection: ten issuers at
once get ten numbers in a row, and two webhook deliveries racing for one payment (a
renewal; a first period refunded because its address was taken) make one invoice, one
receipt and one credit note. Real localstripe over HTTP, real signed webhooks."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.invoices import issue_invoice
from billing.models import Payment, PlatformInvoice, PlatformInvoiceSeries, PlatformRefund, StripeEvent, Subscription
from portal.tenancy import public_context
from tenants.models import Clinic, Plan, Signup
from tests.billing.test_charge_once import race
from tests.helpers import triggers_off


def purge():
    """Test clean-up of committed platform invoices (the database refuses deleting them otherwise)."""
    with triggers_off("billing_platforminvoiceline", "billing_platforminvoice"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_platforminvoiceline")
        cursor.execute("DELETE FROM billing_platforminvoice")
    PlatformInvoiceSeries.objects.all().delete()


def signed_delivery(event: dict) -> int:
    """POST ``event`` to the webhook with a real Stripe-Signature header, from a fresh client."""
    body = json.dumps(event).encode()
    stamp = int(time.time())
    digest = hmac.new(settings.STRIPE_WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    client = Client(HTTP_HOST=settings.PLATFORM_HOST)
    return client.post("/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=f"t={stamp},v1={digest}").status_code


def charged_intent(stripe_api, metadata: dict) -> dict:
    """A 49 € Payment Intent paid with a test card in localstripe, as Stripe's event carries it."""
    customer = stripe_api.Customer.create(email="carrera@example.com")
    card = stripe_api.PaymentMethod.create(type="card", card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"})
    stripe_api.PaymentMethod.attach(card.id, customer=customer.id)
    intent = stripe_api.PaymentIntent.create(amount=4900, currency="eur", customer=customer.id, payment_method=card.id, confirm=True, metadata=metadata)
    return intent.to_dict()


def succeeded(intent: dict) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()), "data": {"object": intent}}


def test_ten_issuers_at_once_get_ten_consecutive_numbers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), public_context():
        clinic = Clinic.objects.get(slug="sonrisa")
        purge()
        start = timezone.now()
        payments = [Payment.objects.create(clinic=clinic, kind=Payment.Kind.RENEWAL, status=Payment.Status.SUCCEEDED, amount=Decimal("49.00"),
                                           currency="EUR", period_start=start + timedelta(days=31 * i), period_end=start + timedelta(days=31 * i + 30),
                                           paid_at=start) for i in range(10)]
        try:
            outcomes = race(10, lambda i: issue_invoice(payment_id=payments[i].pk).number)
            assert all(isinstance(number, int) for number in outcomes), outcomes
            assert sorted(outcomes) == list(range(1, 11))
            assert list(PlatformInvoice.objects.order_by("pk").values_list("number", flat=True)) == list(range(1, 11))  # in the order of issue
            assert PlatformInvoice.verify_chain() == []
            assert PlatformInvoiceSeries.objects.get().next_number == 11
        finally:
            purge()
            Payment.objects.filter(pk__in=[p.pk for p in payments]).delete()


def test_two_deliveries_racing_for_a_renewal_make_one_invoice_and_one_receipt(django_db_setup, django_db_blocker, stripe_api):
    with django_db_blocker.unblock(), public_context():
        clinic = Clinic.objects.get(slug="sonrisa")
        before = Clinic.objects.filter(pk=clinic.pk).values("paid_until", "status", "tax_id", "legal_name").get()
        purge()
        plan = Plan.objects.get(code="mensual")
        Clinic.objects.filter(pk=clinic.pk).update(paid_until=timezone.now() - timedelta(hours=1), tax_id="B12345674", legal_name="Clínica Dental Sonrisa S.L.")
        subscription = Subscription.objects.create(clinic=clinic, plan=plan)
        now = timezone.now()
        payment = Payment.objects.create(clinic=clinic, kind=Payment.Kind.RENEWAL, amount=plan.price, currency="EUR", period_start=now,
                                         period_end=now + timedelta(days=30))
        intent = charged_intent(stripe_api, {"kind": "renewal", "clinic": clinic.schema_name, "payment": str(payment.pk)})
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent=intent["id"])
        events = [succeeded(intent), succeeded(intent)]  # two deliveries (two events) of one payment
        mail.outbox.clear()
        try:
            assert race(2, lambda i: signed_delivery(events[i])) == [HTTPStatus.OK, HTTPStatus.OK]
            [invoice] = PlatformInvoice.objects.all()
            assert invoice.payment_id == payment.pk and invoice.total == Decimal("49.00") and invoice.recipient_tax_id == "B12345674"
            assert StripeEvent.objects.filter(pk__in=[e["id"] for e in events], processed_at__isnull=False).count() == 2
            [receipt] = mail.outbox
            assert invoice.full_number in receipt.body and "B12345674" in receipt.body
        finally:
            purge()
            StripeEvent.objects.filter(pk__in=[e["id"] for e in events]).delete()
            Payment.objects.filter(pk=payment.pk).delete()
            subscription.delete()
            Clinic.objects.filter(pk=clinic.pk).update(**before)


def test_two_deliveries_racing_for_a_refunded_first_period_make_one_invoice_and_one_credit_note(django_db_setup, django_db_blocker, stripe_api):
    with django_db_blocker.unblock(), public_context():
        purge()
        plan = Plan.objects.get(code="mensual")
        common = dict(clinic_name="Clínica Carrera", contact_name="Marta", phone="600", country="ES", time_zone="Europe/Madrid", plan=plan,
                      accepted_terms_at=timezone.now())
        # Paid after its hold ran out, while someone else took its address: refunded by itself.
        late = Signup.objects.create(slug="carrera-norte", email="late@carrera.example", status=Signup.Status.EXPIRED, **common)
        taker = Signup.objects.create(slug="carrera-norte", email="quick@carrera.example", **common)
        now = timezone.now()
        payment = Payment.objects.create(signup=late, kind=Payment.Kind.FIRST_PERIOD, amount=plan.price, currency="EUR", period_start=now,
                                         period_end=now + timedelta(days=30))
        intent = charged_intent(stripe_api, {"kind": "signup", "signup": str(late.pk)})
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent=intent["id"])
        events = [succeeded(intent), succeeded(intent)]
        try:
            assert race(2, lambda i: signed_delivery(events[i])) == [HTTPStatus.OK, HTTPStatus.OK]
            [refund] = PlatformRefund.objects.filter(payment=payment)
            assert refund.status == PlatformRefund.Status.SUCCEEDED
            invoice, note = PlatformInvoice.objects.order_by("pk")
            assert (invoice.payment_id, invoice.corrects_id, invoice.total) == (payment.pk, None, Decimal("49.00"))
            assert (note.corrects_id, note.refund_id, note.total) == (invoice.pk, refund.pk, Decimal("-49.00"))
            assert note.number == 1 and note.series.startswith("PR") and invoice.number == 1
            assert len(stripe_api.Refund.list(payment_intent=intent["id"]).data) == 1
        finally:
            purge()
            StripeEvent.objects.filter(pk__in=[e["id"] for e in events]).delete()
            PlatformRefund.objects.filter(payment=payment).delete()
            Payment.objects.filter(pk=payment.pk).delete()
            Signup.objects.filter(pk__in=[late.pk, taker.pk]).delete()
