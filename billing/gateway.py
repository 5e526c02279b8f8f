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

from .conf import billing_settings

# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL = {"CLP", "JPY", "KRW", "PYG", "VND", "XAF", "XOF"}


class GatewayError(Exception):
    """Stripe refused or failed; ``message`` is safe to show, ``code`` is Stripe's."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message, self.code = message, code


class InvalidWebhook(Exception):
    """Missing, forged or stale ``Stripe-Signature``."""


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


@contextmanager
def _translated_errors():
    """Stripe's exceptions become GatewayError, with Stripe's own user-facing message."""
    try:
        yield
    except stripe.StripeError as error:
        raise GatewayError(error.user_message or str(error), error.code or ("card_declined" if isinstance(error, stripe.CardError) else "")) from error


def _stripe():
    stripe.api_key = billing_settings.secret_key
    if billing_settings.api_base:
        stripe.api_base = billing_settings.api_base
    return stripe


def to_minor_units(amount: Decimal, currency: str) -> int:
    amount = Decimal(amount)
    return int(amount if currency.upper() in ZERO_DECIMAL else (amount * 100).quantize(Decimal("1")))


def create_customer(*, email: str, name: str, metadata: dict) -> str:
    with _translated_errors():
        return _stripe().Customer.create(email=email, name=name, metadata=metadata).id


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


def charge(*, customer: str, payment_method: str, amount: Decimal, currency: str, metadata: dict, off_session: bool) -> Charge:
    """Create and confirm a PaymentIntent for ``amount`` (from our own records, never the browser).

    ``off_session`` charges (renewals) happen with nobody at the screen. A decline
    raises GatewayError with Stripe's message.
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
        intent = _stripe().PaymentIntent.create(**params)
    return Charge(id=intent.id, status=intent.status, client_secret=intent.client_secret or "")


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


def refund(*, payment_intent: str, amount: Decimal, currency: str) -> str:
    """Refund ``amount`` of a payment. Returns Stripe's refund id."""
    with _translated_errors():
        return _stripe().Refund.create(payment_intent=payment_intent, amount=to_minor_units(amount, currency)).id
