"""Refunds of online payments (tenant schema): a row first, Stripe after commit.

ARCHITECTURE §1: no Stripe call inside a transaction or under a row lock. A refund
is written as a pending ``Refund`` row in the business transaction; after commit the
gateway is called with the idempotency key ``refund-<schema>-<pk>`` (one per row,
so a retry never refunds twice on Stripe) and the result recorded. A scheduled sweep
(``retry_stuck_refunds``) sends rows whose request never reached Stripe.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from billing import gateway
from billing.payments import claim_pending, reconcile_refund_row

from .models import Refund
from .models import PatientPayment

logger = logging.getLogger(__name__)

def refundable(payment: PatientPayment) -> Decimal:
    """What is left to refund: the amount less refunds done or under way."""
    taken = payment.refunds.exclude(status=Refund.Status.FAILED).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return max(payment.amount - taken, Decimal("0"))


def request_refund(*, payment: PatientPayment, amount: Decimal, reason: str, requested_by=None) -> Refund:
    """Inside the caller's transaction: a pending Refund row. Call :func:`send_refund`
    after commit. Side effects: one row."""
    return Refund.objects.create(
        payment=payment, amount=amount, currency=payment.currency, reason=reason[:255], requested_by=requested_by
    )


def send_refund(*, refund_id: int) -> Refund:
    """Ask Stripe for a pending refund and record the answer. Never inside a transaction.

    The row is claimed first (``attempted_at``), so two callers at once send it once;
    a claim older than ten minutes is sent again with the same idempotency key.
    Success: the row succeeded, the payment's ``refunded_amount`` grows. A refusal:
    the row failed with Stripe's message. An outage (outcome unknown): the row stays
    pending with the message, to be sent again under the same key. Both raise
    gateway.GatewayError.
    """
    claimed = claim_pending(Refund, refund_id, stale_after=timedelta(minutes=10))
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if not claimed:
        return refund  # done, failed, or being sent by another request
    try:
        stripe_id = gateway.refund(
            payment_intent=refund.payment.stripe_payment_intent, amount=refund.amount, currency=refund.currency,
            idempotency_key=f"refund-{connection.schema_name}-{refund.pk}",
            metadata={"kind": "refund", "clinic": connection.schema_name, "refund": str(refund.pk)},
        )
    except gateway.GatewayError as error:
        if error.unknown_outcome:
            # Stripe may have refunded before the line dropped: the row stays pending and
            # unclaimed, so the next attempt (a retried cancel, the sweep) sends it again
            # with the same idempotency key instead of a new row refunding twice.
            Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
                attempted_at=None, failure_message=error.message[:1000]
            )
        else:
            Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
                status=Refund.Status.FAILED, failure_message=error.message[:1000], completed_at=timezone.now()
            )
        logger.warning("refund %s in %s not sent: %s", refund.pk, connection.schema_name, error.message)
        raise
    with transaction.atomic():
        if Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.SUCCEEDED, stripe_refund=stripe_id, completed_at=timezone.now()
        ):
            PatientPayment.objects.filter(pk=refund.payment_id).update(refunded_amount=F("refunded_amount") + refund.amount)
    refund.refresh_from_db()
    return refund


def send_after_commit(refund: Refund) -> None:
    """From inside a transaction (a webhook job): queue the refund's own job, committed
    with the row (:func:`portal.tasks.enqueue_on_commit`); a job that fails on the way
    is picked up by :func:`retry_stuck_refunds`."""
    from portal.tasks import enqueue_on_commit

    schema, refund_id = connection.schema_name, refund.pk
    enqueue_on_commit("clinic.refunds.send_refund_job", schema_name=schema, refund_id=refund_id)


def send_refund_job(*, refund_id: int) -> None:
    """Job: :func:`send_refund`; the answer is recorded on the row, not retried by the queue
    (an outage leaves it pending for :func:`retry_stuck_refunds`)."""
    try:
        send_refund(refund_id=refund_id)
    except gateway.GatewayError:
        pass  # the row is failed with Stripe's message, for staff to see


def reconcile_refund(*, stripe_refund: str, refund_id: int, status: str, reason: str = "") -> None:
    """Webhook job (in the clinic's schema): Stripe's later word on a refund.

    Only the Stripe refund stored on our row counts (billing.payments.ForeignPaymentIntent
    otherwise). A refund that fails after Stripe accepted it goes back to failed and
    its amount is no longer counted as refunded; staff see it with Stripe's reason.
    """
    with transaction.atomic():
        refund = reconcile_refund_row(Refund, refund_id=refund_id, stripe_refund=stripe_refund, status=status, reason=reason)
        if refund is not None:
            PatientPayment.objects.filter(pk=refund.payment_id).update(refunded_amount=F("refunded_amount") - refund.amount)
            logger.warning("refund %s in %s failed after Stripe accepted it: %s", refund.pk, connection.schema_name, reason or status)


def retry_stuck_refunds(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Scheduled, in every clinic: pending refunds that never reached Stripe (a lost job,
    an outage) are sent, each under its own idempotency key."""
    stale = timezone.now() - older_than
    ids = list(Refund.objects.filter(status=Refund.Status.PENDING, created__lt=stale).values_list("pk", flat=True))
    for refund_id in ids:
        try:
            send_refund(refund_id=refund_id)
        except gateway.GatewayError:
            pass
    return len(ids)
