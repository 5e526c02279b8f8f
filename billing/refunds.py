"""Refunds of the platform's own payments (public schema): a row first, Stripe after commit.

The same pattern as the clinics' refunds (clinic.refunds), for ``billing.Payment``:

1. :func:`request_refund`, inside the caller's transaction: a pending
   :class:`~billing.models.PlatformRefund` row (the database keeps one pending or
   succeeded refund per payment) and, on commit, its own job (:func:`send_refund_job`).
2. :func:`send_refund`, never inside a transaction: claims the row, asks Stripe with the
   idempotency key ``refund-public-payment-<pk>`` (one per row, so a retry never refunds
   twice on Stripe) and records the answer. The row that succeeds queues the e-mail to
   the person refunded, in the same transaction that marks it (sent once).
3. Stripe unreachable (an unknown outcome): the row stays pending with the message and is
   sent again by :func:`retry_pending_refunds`, the sweep that also finds rows whose job
   was lost (STACK-NOTES: work queued on commit can be lost); after
   ``PlatformRefund.MAX_ATTEMPTS`` it is failed. A refusal: failed at once. Failed rows
   are for an operator: admin action *Send again* (:func:`retry_refund`).
4. Stripe's later word (``refund.failed``/``refund.updated``) is reconciled by
   :func:`reconcile_refund`, from the webhook (billing.services).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import gateway
from .models import Payment, PlatformRefund
from .payments import claim_pending, reconcile_refund_row

logger = logging.getLogger(__name__)

# A claim older than this (a worker killed while talking to Stripe) is sent again.
STALE_CLAIM = timedelta(minutes=10)


def idempotency_key(refund: PlatformRefund) -> str:
    return f"refund-public-payment-{refund.pk}"


def request_refund(*, payment: Payment, reason: str, requested_by=None) -> PlatformRefund:
    """Inside the caller's transaction: a pending refund of the whole ``payment``, sent by
    its own job once the transaction commits. Returns the live refund when the payment
    already has one (pending or succeeded), so calling twice refunds once.
    Side effects: one row; one job after commit."""
    existing = payment.refunds.filter(status__in=[PlatformRefund.Status.PENDING, PlatformRefund.Status.SUCCEEDED]).first()
    if existing is not None:
        return existing
    refund = PlatformRefund.objects.create(
        payment=payment, amount=payment.amount, currency=payment.currency, reason=reason[:255], requested_by=requested_by
    )
    _send_after_commit(refund.pk)
    return refund


def _send_after_commit(refund_id: int) -> None:
    from portal.tasks import enqueue_on_commit

    enqueue_on_commit("billing.refunds.send_refund_job", schema_name="public", refund_id=refund_id)


def send_refund(*, refund_id: int) -> PlatformRefund:
    """Ask Stripe for a pending refund and record the answer. Never inside a transaction.

    The row is claimed first (``attempted_at``), so two callers at once send it once; a
    claim older than :data:`STALE_CLAIM` is sent again with the same idempotency key.
    Success: the row succeeded, the credit note of the payment's invoice issued
    (billing.invoices) and the e-mail to the person refunded queued (once).
    Stripe unreachable: still pending, with the message (the sweep sends it again), failed
    after ``MAX_ATTEMPTS``. A refusal: failed with Stripe's message. Returns the row.
    """
    from .invoices import credit_within

    claimed = claim_pending(PlatformRefund, refund_id, stale_after=STALE_CLAIM)
    refund = PlatformRefund.objects.select_related("payment").get(pk=refund_id)
    if not claimed:
        return refund  # done, failed, or being sent by another job
    try:
        stripe_id = gateway.refund(
            payment_intent=refund.payment.stripe_payment_intent, amount=refund.amount, currency=refund.currency,
            idempotency_key=idempotency_key(refund),
            metadata={"kind": "platform_refund", "refund": str(refund.pk), "payment": str(refund.payment_id)},
        )
    except gateway.GatewayError as error:
        _record_failure(refund, error)
        refund.refresh_from_db()
        return refund
    with transaction.atomic():
        row = PlatformRefund.objects.select_for_update().get(pk=refund.pk)
        if row.status == PlatformRefund.Status.PENDING:
            row.status, row.stripe_refund, row.completed_at, row.failure_message = PlatformRefund.Status.SUCCEEDED, stripe_id, timezone.now(), ""
            row.attempts += 1
            row.save(update_fields=["status", "stripe_refund", "completed_at", "failure_message", "attempts"])
        if row.status == PlatformRefund.Status.SUCCEEDED:
            credit_within(row)  # the credit note of the payment's invoice, committed with the refund
        if row.status == PlatformRefund.Status.SUCCEEDED and not row.notified_at:
            _queue_refunded_email(row)
            row.notified_at = timezone.now()
            row.save(update_fields=["notified_at"])
    logger.info("platform refund %s of payment %s succeeded: %s", refund.pk, refund.payment_id, stripe_id)
    refund.refresh_from_db()
    return refund


def _record_failure(refund: PlatformRefund, error: gateway.GatewayError) -> None:
    """Unknown outcome: pending for the sweep (failed after MAX_ATTEMPTS); a refusal: failed."""
    attempts = refund.attempts + 1
    give_up = not error.unknown_outcome or attempts >= PlatformRefund.MAX_ATTEMPTS
    fields = {"attempts": attempts, "failure_message": error.message[:1000]}
    if give_up:
        fields.update(status=PlatformRefund.Status.FAILED, completed_at=timezone.now())
    PlatformRefund.objects.filter(pk=refund.pk, status=PlatformRefund.Status.PENDING).update(**fields)
    logger.warning("platform refund %s of payment %s %s: %s", refund.pk, refund.payment_id, "failed" if give_up else "will be retried", error.message)


def send_refund_job(*, refund_id: int) -> None:
    """Job (public schema): :func:`send_refund`. The outcome is on the row, not in the queue."""
    send_refund(refund_id=refund_id)


def retry_pending_refunds(*, older_than: timedelta = STALE_CLAIM) -> int:
    """Scheduled (public schema): pending refunds whose job was lost, or whose last try
    could not reach Stripe, are sent again. Returns how many were tried."""
    stale = timezone.now() - older_than
    ids = list(
        PlatformRefund.objects.filter(status=PlatformRefund.Status.PENDING, created__lt=stale)
        .filter(Q(attempted_at__isnull=True) | Q(attempted_at__lt=stale))
        .values_list("pk", flat=True)
    )
    for refund_id in ids:
        send_refund(refund_id=refund_id)
    return len(ids)


def retry_refund(*, refund_id: int, requested_by=None) -> PlatformRefund:
    """Operator (admin action): send a failed refund again, now, with the same idempotency
    key. A refund that succeeded, or whose payment has another live refund, is left as
    it is, and so is one that Stripe accepted and failed later (refund it by hand in
    Stripe). Never inside a transaction. Side effects: the row back to pending, a Stripe
    call, on success the e-mail."""
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            # A refund Stripe accepted and failed later is not sent again with the same
            # key (Stripe would answer with that failed refund): an operator handles it.
            PlatformRefund.objects.filter(pk=refund_id, status=PlatformRefund.Status.FAILED, stripe_refund__isnull=True).update(
                status=PlatformRefund.Status.PENDING, attempted_at=None, completed_at=None, attempts=0
            )
    except IntegrityError:
        pass  # another refund of this payment is pending or done: this one stays failed
    else:
        if requested_by is not None:
            logger.info("platform refund %s sent again by %s", refund_id, requested_by)
    return send_refund(refund_id=refund_id)


def reconcile_refund(*, refund_id: int, stripe_refund: str, status: str, reason: str = "") -> None:
    """Webhook job: Stripe's later word on a platform refund. Only the Stripe refund stored
    on our row counts (ForeignPaymentIntent otherwise). A refund that fails after Stripe
    accepted it goes back to failed, with Stripe's reason, for an operator."""
    with transaction.atomic():
        refund = reconcile_refund_row(PlatformRefund, refund_id=refund_id, stripe_refund=stripe_refund, status=status, reason=reason)
        if refund is not None:
            # Its credit note stands (records are never changed): the money is back with the
            # platform without an invoice for it, which an operator settles.
            logger.warning("platform refund %s failed after Stripe accepted it (its credit note stands): %s", refund.pk, reason or status)


def _queue_refunded_email(refund: PlatformRefund) -> None:
    """The e-mail to whoever was refunded, in their language, queued (sent after commit)
    inside the transaction that marks the refund succeeded. Today only signups' first
    payments are refunded: the signup's contact gets it, naming the address and amount.
    Sent on success rather than on request so it never announces money that Stripe then
    refuses or that an outage holds up; until then the status page says "refunding"."""
    from django.conf import settings
    from django.urls import reverse

    from portal.mail import queue_email, render_email, sender
    from portal.tenancy import platform_url

    signup = refund.payment.signup
    if signup is None:
        return
    context = {
        "signup": signup, "refund": refund, "address": f"{signup.slug}.{settings.PLATFORM_HOST}",
        "signup_url": platform_url(reverse("tenants:signup", urlconf="portal.urls_public")),
    }
    queue_email(
        render_email("tenants/email/late_payment_refunded", context, language=signup.language, to=[signup.email], from_email=sender("Clinic Portal"))
    )
