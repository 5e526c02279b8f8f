"""Processing Stripe events and the subscription lifecycle (public schema)."""

import logging
import traceback
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import StripeEvent

logger = logging.getLogger(__name__)


def process_event(*, event_id: str) -> None:
    """Job: act on one stored Stripe event, routed by the metadata we put on the object.

    Idempotent: a processed event is skipped, and every handler is itself safe to
    run twice. Records ``processed_at`` or the error and traceback on the row;
    ``manage.py reprocess_stripe_events`` retries failed rows.
    """
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_id)
        if event.processed_at:
            return
        event.attempts += 1
        try:
            with transaction.atomic():
                _dispatch(event)
        except Exception:
            event.error = traceback.format_exc()[-4000:]
            event.save(update_fields=["attempts", "error"])
            logger.exception("Stripe event %s failed", event_id)
            return
        event.processed_at, event.error = timezone.now(), ""
        event.save(update_fields=["attempts", "processed_at", "error"])


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
            from clinic.booking import record_online_payment

            with _clinic_schema(metadata["clinic"]):
                record_online_payment(appointment_id=int(metadata["appointment"]), payment_intent=obj["id"], amount_minor=obj["amount"], currency=obj["currency"])
    elif event.type == "payment_intent.payment_failed":
        message = ((obj.get("last_payment_error") or {}).get("message")) or "payment failed"
        if kind == "signup":
            from tenants.services import record_signup_payment_failure

            record_signup_payment_failure(signup_id=metadata["signup"], payment_intent=obj["id"], message=message)
        elif kind == "renewal":
            from .subscriptions import record_renewal_failed

            record_renewal_failed(payment_id=int(metadata["payment"]), message=message)
    # Any other event type is kept (it was stored) and acknowledged.


def _clinic_schema(schema_name: str):
    """The clinic a payment's metadata names, which must be a real clinic (tenancy rule 6)."""
    from portal.tenancy import clinic_context
    from tenants.models import Clinic

    return clinic_context(Clinic.objects.clinics().get(schema_name=schema_name))


def reprocess_failed(*, older_than: timedelta = timedelta(0)) -> int:
    """Run failed events again (operators, ``manage.py reprocess_stripe_events``)."""
    ids = list(
        StripeEvent.objects.filter(processed_at__isnull=True, received_at__lte=timezone.now() - older_than).values_list("id", flat=True)
    )
    for event_id in ids:
        process_event(event_id=event_id)
    return len(ids)
