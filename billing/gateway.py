"""The only module that talks to Stripe (STYLE.md "One door per outside system").

Everything is a plain function over ids and plain values; callers never see a
stripe object. The calls used are the ones that behave the same on Stripe and on
localstripe (STACK-NOTES): customers, SetupIntents, PaymentMethods, PaymentIntents
created with ``confirm=True``, refunds and signed webhooks.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.db import connection

from .conf import billing_settings

# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL = {"CLP", "JPY", "KRW", "PYG", "VND", "XAF", "XOF"}


class GatewayError(Exception):
    """Stripe refused or failed; ``message`` is safe to show, ``code`` is Stripe's.

    ``unknown_outcome`` is True when Stripe could not be reached or answered with a
    server error: the call may or may not have happened, so the caller must retry it
    with the same idempotency key rather than treat it as a refusal.
    """

    def __init__(self, message: str, code: str = "", *, unknown_outcome: bool = False):
        super().__init__(message)
        self.message, self.code, self.unknown_outcome = message, code, unknown_outcome


class InvalidWebhook(Exception):
    """Missing, forged or stale ``Stripe-Signature``."""


class CalledInTransaction(RuntimeError):
    """A Stripe call from inside a database transaction (a bug: ARCHITECTURE §1).

    An HTTP call inside a transaction holds its row locks for as long as Stripe takes,
    and a rollback after it cannot take back the charge or refund.
    """


def _outside_transactions() -> None:
    # The atomic blocks pytest-django opens around each test are marked ``_from_testcase``;
    # every other one is a real transaction of ours.
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise CalledInTransaction("Stripe must not be called inside a database transaction or under a row lock")


@dataclass(frozen=True)
class Charge:
    id: str
    status: str  # succeeded | requires_action | processing | requires_payment_method | canceled
    client_secret: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def needs_action(self) -> bool:
        return self.status == "requires_action"

    @property
    def failed(self) -> bool:
        """Stripe will not charge this intent any more (declined, failed 3-D Secure, cancelled)."""
        return self.status in ("requires_payment_method", "canceled")


def _charge(intent) -> Charge:
    return Charge(id=intent.id, status=intent.status, client_secret=intent.client_secret or "")


@contextmanager
def _translated_errors():
    """Stripe's exceptions become GatewayError, with Stripe's own user-facing message."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError) as error:
        raise GatewayError(error.user_message or str(error), error.code or "unreachable", unknown_outcome=True) from error
    except stripe.StripeError as error:
        raise GatewayError(error.user_message or str(error), error.code or ("card_declined" if isinstance(error, stripe.CardError) else "")) from error


def _stripe():
    _outside_transactions()
    stripe.api_key = billing_settings.secret_key
    if billing_settings.api_base:
        stripe.api_base = billing_settings.api_base
    return stripe


def to_minor_units(amount: Decimal, currency: str) -> int:
    amount = Decimal(amount)
    return int(amount if currency.upper() in ZERO_DECIMAL else (amount * 100).quantize(Decimal("1")))


def create_customer(*, email: str, name: str, metadata: dict, idempotency_key: str | None = None) -> str:
    """A Stripe customer. With ``idempotency_key`` (one per row of ours), two pages
    opened at once get the same customer from Stripe."""
    with _translated_errors():
        return _stripe().Customer.create(email=email, name=name, metadata=metadata, idempotency_key=idempotency_key).id


def create_setup_intent(*, customer: str, metadata: dict) -> tuple[str, str]:
    """A SetupIntent to save a card for later off-session charges. Returns (id, client_secret)."""
    with _translated_errors():
        intent = _stripe().SetupIntent.create(customer=customer, payment_method_types=["card"], usage="off_session", metadata=metadata)
    return intent.id, intent.client_secret


def saved_payment_method(*, setup_intent: str, customer: str) -> str:
    """The card a succeeded SetupIntent of ``customer`` saved. Refuses anyone else's intent."""
    with _translated_errors():
        intent = _stripe().SetupIntent.retrieve(setup_intent)
    if intent.customer != customer or intent.status != "succeeded" or not intent.payment_method:
        raise GatewayError("The card could not be saved.", "setup_incomplete")
    return intent.payment_method


def charge(*, customer: str, payment_method: str, amount: Decimal, currency: str, metadata: dict, off_session: bool, idempotency_key: str) -> Charge:
    """Create and confirm a PaymentIntent for ``amount`` (from our own records, never the browser).

    Used for off-session renewals, where Stripe wants ``off_session`` at creation.
    ``idempotency_key`` names the thing paid (one key per row of ours): Stripe answers a
    repeated key with the first result instead of charging again. A decline raises
    GatewayError with Stripe's message.
    """
    params = dict(
        amount=to_minor_units(amount, currency),
        currency=currency.lower(),
        customer=customer,
        payment_method=payment_method,
        confirm=True,
        metadata=metadata,  # what we charged for: localstripe has no ``description``
    )
    if off_session:
        params["off_session"] = True
    with _translated_errors():
        intent = _stripe().PaymentIntent.create(**params, idempotency_key=idempotency_key)
    return _charge(intent)


def create_payment_intent(*, customer: str, payment_method: str, amount: Decimal, currency: str, metadata: dict, idempotency_key: str) -> Charge:
    """A PaymentIntent for ``amount`` with the card, NOT confirmed: nothing is charged yet.

    Callers store its id on their row before :func:`confirm_payment_intent`, so every
    later request and the webhook can tell our intent from any other.
    """
    with _translated_errors():
        intent = _stripe().PaymentIntent.create(
            amount=to_minor_units(amount, currency), currency=currency.lower(), customer=customer, payment_method=payment_method,
            metadata=metadata, idempotency_key=idempotency_key,
        )
    return _charge(intent)


def confirm_payment_intent(*, payment_intent: str, idempotency_key: str) -> Charge:
    """Confirm (charge) an intent created with its card. ``requires_action`` hands a
    3-D Secure step back to the page; a decline raises GatewayError."""
    with _translated_errors():
        intent = _stripe().PaymentIntent.confirm(payment_intent, idempotency_key=idempotency_key)
    return _charge(intent)


def retrieve_payment_intent(payment_intent: str) -> Charge:
    """The intent's current state, for a request that finds one already under way."""
    with _translated_errors():
        return _charge(_stripe().PaymentIntent.retrieve(payment_intent))


def parse_webhook(payload: bytes, signature: str | None) -> dict:
    """Verify ``Stripe-Signature`` over the raw body and return the event as a dict."""
    if not signature:
        raise InvalidWebhook("missing Stripe-Signature")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, billing_settings.webhook_secret, tolerance=billing_settings.webhook_tolerance_seconds
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise InvalidWebhook(str(error)) from error
    return event.to_dict()


def refund(*, payment_intent: str, amount: Decimal, currency: str, idempotency_key: str, metadata: dict | None = None) -> str:
    """Refund ``amount`` of a payment. Returns Stripe's refund id.

    ``idempotency_key`` is one per Refund row of ours, so a retried request never
    refunds twice on Stripe.
    """
    with _translated_errors():
        return _stripe().Refund.create(
            payment_intent=payment_intent, amount=to_minor_units(amount, currency), metadata=metadata or {}, idempotency_key=idempotency_key
        ).id
