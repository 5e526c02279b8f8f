"""Processing Stripe events and the subscription lifecycle (public schema)."""

import logging
import traceback
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import StripeEvent

logger = logging.getLogger(__name__)


def process_event(*, event_id: str, by_operator: bool = False) -> None:
    """Job: act on one stored Stripe event, routed by the metadata we put on the object.

    Idempotent: a processed (or ignored) event is skipped, and every handler is itself
    safe to run twice. Records the outcome on the row: ``processed``; ``ignored`` when
    the event is about a Payment Intent that is not the one we stored for its object
    (nothing recorded, a warning logged); or the error and traceback with the next
    attempt after a backoff (``StripeEvent.RETRY_MINUTES``), ``failed`` for good after
    ``StripeEvent.MAX_ATTEMPTS``. ``by_operator`` runs a failed event once more
    whatever its count (admin action, ``manage.py reprocess_stripe_events``).
    """
    from .payments import ForeignPaymentIntent

    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_id)
        if event.processed_at:
            return
        if event.status == StripeEvent.Status.FAILED and not by_operator:
            return
        event.attempts += 1
        now = timezone.now()
        try:
            with transaction.atomic():
                _dispatch(event)
        except ForeignPaymentIntent as error:
            event.status, event.processed_at, event.next_attempt_at, event.error = StripeEvent.Status.IGNORED, now, None, str(error)
            logger.warning("Stripe event %s ignored: %s", event_id, error)
        except Exception:
            delay = event.retry_delay()
            event.error = traceback.format_exc()[-4000:]
            event.status = StripeEvent.Status.RETRYING if delay else StripeEvent.Status.FAILED
            event.next_attempt_at = now + delay if delay else None
            logger.exception("Stripe event %s failed (attempt %s)", event_id, event.attempts)
        else:
            event.status, event.processed_at, event.next_attempt_at, event.error = StripeEvent.Status.PROCESSED, now, None, ""
        event.save(update_fields=["attempts", "status", "processed_at", "next_attempt_at", "error"])


# Stripe tells us when a refund it accepted fails later (the card was closed, …).
REFUND_EVENTS = ("refund.updated", "refund.failed", "charge.refund.updated")


def _dispatch(event: StripeEvent) -> None:
    obj = event.data_object
    metadata = obj.get("metadata") or {}
    kind = metadata.get("kind")
    if event.type == "payment_intent.succeeded":
        if kind == "signup":
            from tenants.services import record_signup_payment

            record_signup_payment(signup_id=metadata["signup"], payment_intent=obj["id"], amount_minor=obj["amount"], currency=obj["currency"])
        elif kind == "renewal":
            from .subscriptions import record_renewal_paid

            record_renewal_paid(payment_id=int(metadata["payment"]), payment_intent=obj["id"], amount_minor=obj["amount"], currency=obj["currency"])
        elif kind == "appointment":
            from clinic.actions.payments import record_online_payment

            with _clinic_schema(metadata["clinic"]):
                record_online_payment(appointment_id=int(metadata["appointment"]), payment_intent=obj["id"], amount_minor=obj["amount"], currency=obj["currency"])
        elif kind in ("invoice", "instalment"):
            from clinic.actions.payments import record_target_payment

            with _clinic_schema(metadata["clinic"]):
                record_target_payment(kind=kind, object_id=int(metadata[kind]), payment_intent=obj["id"], amount_minor=obj["amount"],
                                      currency=obj["currency"])
    elif event.type == "payment_intent.payment_failed":
        message = ((obj.get("last_payment_error") or {}).get("message")) or "payment failed"
        if kind == "signup":
            from tenants.services import record_signup_payment_failure

            record_signup_payment_failure(signup_id=metadata["signup"], payment_intent=obj["id"], message=message)
        elif kind == "renewal":
            from .subscriptions import record_renewal_failed

            record_renewal_failed(payment_id=int(metadata["payment"]), message=message, payment_intent=obj["id"])
        elif kind in ("appointment", "invoice", "instalment"):
            from clinic.actions.payments import record_payment_failure

            with _clinic_schema(metadata["clinic"]):
                record_payment_failure(kind=kind, object_id=int(metadata[kind]), payment_intent=obj["id"], message=message)
    elif event.type in REFUND_EVENTS and kind == "refund":
        from clinic.refunds import reconcile_refund

        with _clinic_schema(metadata["clinic"]):
            reconcile_refund(refund_id=int(metadata["refund"]), stripe_refund=obj["id"], status=obj.get("status") or "", reason=obj.get("failure_reason") or "")
    elif event.type in REFUND_EVENTS and kind == "platform_refund":
        from .refunds import reconcile_refund as reconcile_platform_refund

        reconcile_platform_refund(refund_id=int(metadata["refund"]), stripe_refund=obj["id"], status=obj.get("status") or "", reason=obj.get("failure_reason") or "")
    # Any other event type is kept (it was stored) and acknowledged.


def _clinic_schema(schema_name: str):
    """The clinic a payment's metadata names, which must be a real clinic (tenancy rule 6)."""
    from portal.tenancy import clinic_context
    from tenants.models import Clinic

    return clinic_context(Clinic.objects.clinics().get(schema_name=schema_name))


# An event whose first job has not run after this long is picked up by the sweep
# (its job was lost, e.g. a worker killed before it ran).
LOST_JOB_AFTER = timedelta(minutes=1)


def reprocess_failed(*, older_than: timedelta = timedelta(0)) -> int:
    """Scheduled job (every minute): run the events that are due again.

    Only events under the attempt cap whose backoff is over, plus events whose first
    job never ran; ``failed`` events wait for an operator. Returns how many ran.
    """
    now = timezone.now()
    due = StripeEvent.objects.filter(processed_at__isnull=True, received_at__lte=now - older_than, attempts__lt=StripeEvent.MAX_ATTEMPTS).filter(
        Q(status=StripeEvent.Status.RETRYING, next_attempt_at__lte=now)
        | Q(status=StripeEvent.Status.RETRYING, next_attempt_at__isnull=True)
        | Q(status=StripeEvent.Status.RECEIVED, received_at__lte=now - LOST_JOB_AFTER)
    )
    ids = list(due.order_by("received_at").values_list("id", flat=True))
    for event_id in ids:
        process_event(event_id=event_id)
    return len(ids)


def reprocess_by_operator(*, event_ids) -> int:
    """Operators: run these unprocessed events once more, whatever their attempt count."""
    ids = list(StripeEvent.objects.filter(pk__in=list(event_ids), processed_at__isnull=True).values_list("id", flat=True))
    for event_id in ids:
        process_event(event_id=event_id, by_operator=True)
    return len(ids)
