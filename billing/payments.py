"""One Payment Intent per thing to pay, whatever the browser does (issue 8, item 1).

Two "Pay" clicks at once, or a reload before the webhook, used to charge the card
two or three times: a status that only the webhook flips does not stop a second
request, and localstripe ignores Stripe's idempotency keys (STACK-NOTES). So our own
rows are the guarantee:

1. Under a row lock on the thing to pay (a signup, an appointment), the caller finds
   its live payment row (pending or paid) or creates one: the *claim*. Commit.
   No Stripe call happens while the lock is held.
2. The request that holds the claim creates the Payment Intent (not confirmed, so
   nothing is charged yet), stores its id on the row, and only then confirms it.
   Create and confirm each carry an idempotency key derived from the row.
3. Any other request for the same thing continues that intent instead of making a
   new one: it answers with the intent's state ("processing" while the first
   request is still talking to Stripe, the 3-D Secure step, or "succeeded").
4. The webhook records only the intent stored on the row (:class:`ForeignPaymentIntent`).

A claim left behind by a crash (no intent after :data:`STALE_CLAIM`) is taken over
and retried with the same idempotency keys, which Stripe answers with the first
result. A refusal marks the row failed, and the next attempt gets a new row.

The payment row model must have a ``Status`` enum with ``PENDING``, ``SUCCEEDED`` and
``FAILED``, and the fields ``status``, ``stripe_payment_intent``, ``attempted_at`` and
``failure_message`` (billing.Payment, clinic.PaymentAttempt).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import gateway

STALE_CLAIM = timedelta(minutes=1)


class ForeignPaymentIntent(Exception):
    """A webhook about a Payment Intent that is not the one stored for its object.

    Even correctly signed (a second intent made by hand in the dashboard, a leftover
    of a race, another system sharing the account), it must add no ledger row: the
    event is marked ignored and logged for operators.
    """


class IntentNotStoredYet(Exception):
    """The webhook outran the request that is about to store the intent id: retry later."""


@dataclass(frozen=True)
class Claim:
    """What the locked look-up found: the row to continue, and whether this request drives it."""

    pk: int
    intent: str | None
    drives: bool  # this request talks to Stripe for the row (a new claim, or a stale one taken over)
    created: bool = False  # the row was made by this request
    succeeded: bool = False


def claim(live, create) -> Claim:
    """Inside the caller's transaction, with the thing to pay locked.

    ``live`` is a queryset of its pending/paid payment rows; ``create(**fields)``
    makes a new pending row. Side effect: a new row, or a fresher ``attempted_at``.
    """
    now = timezone.now()
    row = live.first()
    if row is None:
        row = create(attempted_at=now)
        return Claim(row.pk, None, drives=True, created=True)
    if row.status == live.model.Status.SUCCEEDED:
        return Claim(row.pk, row.stripe_payment_intent, drives=False, succeeded=True)
    if row.attempted_at is None or row.attempted_at < now - STALE_CLAIM:
        row.attempted_at = now
        row.save(update_fields=["attempted_at"])
        return Claim(row.pk, row.stripe_payment_intent, drives=True)
    return Claim(row.pk, row.stripe_payment_intent, drives=False)


def continue_payment(*, model, claimed: Claim, key: str, customer: str, payment_method: str, amount, currency: str, metadata: dict) -> gateway.Charge:
    """After the claim is committed: create, store and confirm the intent, or report the
    state of the one under way. Never called inside a transaction.

    Returns the gateway's Charge (status ``processing`` when another request is still
    at it). A refusal marks the row failed and raises GatewayError; an unknown outcome
    (Stripe unreachable) leaves the row pending, to be retried with the same keys.
    Side effects: at most one Payment Intent created and confirmed per row.
    """
    if claimed.succeeded:
        return gateway.Charge(id=claimed.intent or "", status="succeeded")
    if not claimed.drives and not claimed.intent:
        return gateway.Charge(id="", status="processing")
    try:
        if claimed.intent:
            charge = gateway.retrieve_payment_intent(claimed.intent)
            if charge.status == "requires_confirmation":
                if not claimed.drives:
                    return gateway.Charge(id=charge.id, status="processing")
                charge = gateway.confirm_payment_intent(payment_intent=charge.id, idempotency_key=f"{key}-confirm")
        else:
            created = gateway.create_payment_intent(
                customer=customer, payment_method=payment_method, amount=amount, currency=currency,
                metadata=metadata, idempotency_key=f"{key}-create",
            )
            if not model.objects.filter(pk=claimed.pk, stripe_payment_intent__isnull=True).update(stripe_payment_intent=created.id):
                # Another request took over this claim as stale and stored its intent first.
                other = model.objects.get(pk=claimed.pk).stripe_payment_intent
                return continue_payment(
                    model=model, claimed=Claim(claimed.pk, other, drives=False), key=key, customer=customer,
                    payment_method=payment_method, amount=amount, currency=currency, metadata=metadata,
                )
            charge = gateway.confirm_payment_intent(payment_intent=created.id, idempotency_key=f"{key}-confirm")
    except gateway.GatewayError as error:
        if not error.unknown_outcome:
            mark_failed(model, claimed.pk, error.message)
        raise
    if charge.failed:
        mark_failed(model, claimed.pk, charge.status)
    return charge


def pay_once(*, model, claim_locked: Callable[[], Claim], charge_args: Callable[[Claim], dict]) -> gateway.Charge:
    """The whole payment of one thing: claim under its lock, commit, then talk to Stripe.

    ``claim_locked()`` runs in a transaction: it locks the thing to pay (raising what the
    caller's page should say if it cannot be paid any more) and returns :func:`claim`'s
    answer. ``charge_args(claimed)`` gives :func:`continue_payment`'s other arguments
    (key, customer, card, amount, currency, metadata) for the claimed row. When the
    intent found under way had already failed (3-D Secure refused, a late decline), a
    second round claims a new row and charges it. Raises gateway.GatewayError on a
    decline. Side effects: those of the two callbacks and of :func:`continue_payment`.
    """
    for _round in range(2):
        with transaction.atomic():
            claimed = claim_locked()
        charge = continue_payment(model=model, claimed=claimed, **charge_args(claimed))
        if not (charge.failed and not claimed.created):
            break
    if charge.failed:
        raise gateway.GatewayError(_("The payment did not go through. Please try again or use another card."), charge.status)
    return charge


def claim_pending(model, pk: int, *, stale_after: timedelta) -> bool:
    """Claim a pending row for the one request that will call Stripe for it now (a refund
    being sent): True when this caller won. An unclaimed row, or a claim older than
    ``stale_after`` (its sender died), can be claimed; one atomic UPDATE decides.
    Side effect: the row's ``attempted_at``."""
    now = timezone.now()
    return bool(
        model.objects.filter(
            Q(attempted_at__isnull=True) | Q(attempted_at__lt=now - stale_after), pk=pk, status=model.Status.PENDING
        ).update(attempted_at=now)
    )


def reconcile_refund_row(model, *, refund_id: int, stripe_refund: str, status: str, reason: str = ""):
    """Inside the caller's transaction: Stripe's later word on a refund row of ``model``.

    Only the Stripe refund stored on our row counts (ForeignPaymentIntent otherwise). A
    refund that fails after Stripe accepted it goes back to failed with Stripe's reason;
    that row is returned (None when nothing changed) for the caller to undo what the
    success had counted."""
    refund = model.objects.select_for_update().filter(pk=refund_id).first()
    if refund is None or refund.stripe_refund != stripe_refund:
        raise ForeignPaymentIntent(f"{stripe_refund} is not the Stripe refund of {model.__name__} {refund_id}")
    if status in ("failed", "canceled") and refund.status == model.Status.SUCCEEDED:
        refund.status, refund.failure_message = model.Status.FAILED, (reason or status)[:1000]
        refund.save(update_fields=["status", "failure_message"])
        return refund
    return None


def mark_failed(model, pk: int, message: str) -> None:
    """The row's intent will never be charged: the next attempt gets a new row."""
    model.objects.filter(pk=pk, status=model.Status.PENDING).update(status=model.Status.FAILED, failure_message=str(message)[:1000])


def check_intent(*, stored: str | None, received: str, what: str, in_flight: bool) -> None:
    """The webhook's guard: ``received`` must be the intent stored for ``what``.

    ``in_flight`` says a request may be charging it right now (a pending row with no
    intent id yet): then the event is retried later rather than refused.
    """
    if stored == received:
        return
    if not stored and in_flight:
        raise IntentNotStoredYet(f"{what} has no Payment Intent stored yet; {received} will be checked again")
    raise ForeignPaymentIntent(f"{received} is not the Payment Intent of {what} ({stored or 'none stored'}): nothing recorded")
