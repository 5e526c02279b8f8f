"""A clinic's subscription over time: renewals, retries, grace, suspension, reactivation.

The scheduled ``run_billing_cycle`` (django-q2, every hour) charges each due renewal
off-session with the saved card; the webhook then records the outcome. Nothing is
ever deleted: a suspended clinic keeps all its data and comes back when it pays.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tenants.models import Clinic
from tenants.services import add_interval

from . import gateway
from .conf import billing_settings
from .models import Payment, Subscription

logger = logging.getLogger(__name__)


def run_billing_cycle() -> dict:
    """Scheduled job: charge due renewals, then apply grace periods and period-end cancellations."""
    now = timezone.now()
    charged = 0
    due = (
        Subscription.objects.select_related("clinic", "plan")
        .filter(clinic__kind=Clinic.Kind.CLINIC, clinic__paid_until__lte=now, cancel_at_period_end=False)
        .exclude(clinic__status=Clinic.Status.CANCELLED)
        .exclude(next_attempt_at__gt=now)
    )
    for subscription in due:
        charge_renewal(subscription_id=subscription.pk)
        charged += 1
    suspended = enforce_grace_period(now=now)
    cancelled = end_cancelled_subscriptions(now=now)
    ask_for_cards(now=now)
    return {"charged": charged, "suspended": suspended, "cancelled": cancelled}


CARD_REMINDER_DAYS = 3


def ask_for_cards(*, now=None) -> int:
    """Clinics on a trial with no card, a few days before it ends: one e-mail asking for one."""
    now = now or timezone.now()
    asked = 0
    for subscription in Subscription.objects.select_related("clinic").filter(
        payment_method="", card_reminder_sent_at__isnull=True, cancel_at_period_end=False,
        clinic__paid_until__gt=now, clinic__paid_until__lte=now + timedelta(days=CARD_REMINDER_DAYS),
    ):
        with transaction.atomic():
            if Subscription.objects.filter(pk=subscription.pk, card_reminder_sent_at__isnull=True).update(card_reminder_sent_at=now):
                _queue_billing_email(subscription.clinic, "add_card")
                asked += 1
    return asked


def charge_renewal(*, subscription_id: int, off_session: bool = True) -> Payment | None:
    """Charge the next period of one subscription, once.

    The Payment row for (clinic, period end) is unique, so a job that runs twice
    reuses it and never charges a paid period again. The row is claimed under the
    subscription's lock (``attempted_at``) before Stripe is called, and the call
    carries an idempotency key per (payment, attempt): a second job or a "pay now"
    click while a charge is under way charges nothing. No Stripe call runs under the
    lock. A decline is recorded at once (and again, harmlessly, when its webhook
    arrives).
    """
    from .payments import STALE_CLAIM

    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("clinic", "plan").get(pk=subscription_id)
        clinic, plan = subscription.clinic, subscription.plan
        if clinic.paid_until and clinic.paid_until > timezone.now():
            # Nothing is due: a duplicated or late job must not charge the next period early.
            return Payment.objects.filter(clinic=clinic).order_by("-period_end").first()
        period_start = clinic.paid_until or timezone.now()
        payment, _created = Payment.objects.get_or_create(
            clinic=clinic, kind=Payment.Kind.RENEWAL, period_end=add_interval(period_start, plan),
            defaults=dict(amount=plan.price, currency=plan.currency, period_start=period_start),
        )
        if payment.status == Payment.Status.SUCCEEDED:
            return payment
        now = timezone.now()
        if payment.status == Payment.Status.PENDING and payment.attempted_at and payment.attempted_at > now - STALE_CLAIM:
            return payment  # another job or click is charging this period right now
        payment.status, payment.attempted_at = Payment.Status.PENDING, now
        payment.save(update_fields=["status", "attempted_at"])
        # One key per try: a retry after a decline is a new charge, a retry after a crash is not.
        key = f"renewal-{payment.pk}-try-{subscription.failed_attempts}"
    if plan.price == 0:
        record_renewal_paid(payment_id=payment.pk, payment_intent=None, amount_minor=0, currency=plan.currency)
        payment.refresh_from_db()
        return payment
    if not subscription.payment_method:
        record_renewal_failed(payment_id=payment.pk, message="no card on file")
        payment.refresh_from_db()
        return payment
    try:
        result = gateway.charge(
            customer=subscription.stripe_customer,
            payment_method=subscription.payment_method,
            amount=payment.amount,
            currency=payment.currency,
            metadata={"kind": "renewal", "clinic": clinic.schema_name, "payment": str(payment.pk)},
            off_session=off_session,
            idempotency_key=key,
        )
    except gateway.GatewayError as error:
        if error.unknown_outcome:
            logger.warning("renewal %s: Stripe unreachable, will retry with the same key: %s", payment.pk, error.message)
            return payment
        record_renewal_failed(payment_id=payment.pk, message=error.message)
        payment.refresh_from_db()  # the page tells the clinic admin what happened
        return payment
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent=result.id)
    if result.succeeded:
        record_renewal_paid(payment_id=payment.pk, payment_intent=result.id, amount_minor=None, currency=payment.currency)
    payment.refresh_from_db()
    return payment


def record_renewal_paid(*, payment_id: int, payment_intent: str | None, amount_minor: int | None, currency: str) -> bool:
    """A renewal was paid: move ``paid_until``, reactivate, issue the platform's invoice
    (billing.invoices, in this transaction), send the receipt naming it. Idempotent.

    ``payment_intent`` must be the intent stored on the row (raises
    billing.payments.ForeignPaymentIntent otherwise, and IntentNotStoredYet while the
    charging request has not stored it yet).
    """
    from .invoices import invoice_within
    from .payments import check_intent

    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).select_related("clinic").get(pk=payment_id)
        if payment_intent:
            check_intent(
                stored=payment.stripe_payment_intent, received=payment_intent, what=f"renewal payment {payment_id}",
                in_flight=payment.status == Payment.Status.PENDING,
            )
        if amount_minor is not None and amount_minor != gateway.to_minor_units(payment.amount, payment.currency):
            raise ValueError(f"renewal {payment_id} paid {amount_minor}, expected {payment.amount} {payment.currency}")
        if payment.status == Payment.Status.SUCCEEDED:
            return False
        payment.status, payment.paid_at = Payment.Status.SUCCEEDED, timezone.now()
        payment.save()
        clinic = Clinic.objects.select_for_update().get(pk=payment.clinic_id)
        clinic.paid_until = max(clinic.paid_until or payment.period_end, payment.period_end)
        clinic.status = Clinic.Status.ACTIVE
        clinic.save(update_fields=["paid_until", "status"])
        Subscription.objects.filter(clinic=clinic).update(failed_attempts=0, past_due_since=None, next_attempt_at=None)
        invoice_within(payment)  # committed with the payment; the receipt names it
        _queue_billing_email(clinic, "receipt", payment=payment)
    return True


def record_renewal_failed(*, payment_id: int, message: str, payment_intent: str | None = None) -> None:
    """A renewal failed: past due, next retry on the schedule, an e-mail to update the card.

    From the webhook, ``payment_intent`` must be the intent stored on the row: the
    failure of an earlier try (or of someone else's intent) changes nothing.
    """
    from .payments import check_intent

    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).select_related("clinic").get(pk=payment_id)
        if payment_intent:
            if not payment.stripe_payment_intent and payment.status == Payment.Status.FAILED:
                return  # the decline we recorded when charging (Stripe raised before we saw the intent id)
            check_intent(
                stored=payment.stripe_payment_intent, received=payment_intent, what=f"renewal payment {payment_id}",
                in_flight=payment.status == Payment.Status.PENDING,
            )
        if payment.status == Payment.Status.SUCCEEDED:
            return  # a late failure event for a payment that went through after all
        already_failed = payment.status == Payment.Status.FAILED and payment.failure_message == message[:1000]
        payment.status, payment.failure_message = Payment.Status.FAILED, message[:1000]
        payment.save(update_fields=["status", "failure_message"])
        if already_failed:
            return  # the webhook for a decline we recorded when charging
        clinic = Clinic.objects.select_for_update().get(pk=payment.clinic_id)
        subscription = Subscription.objects.select_for_update().get(clinic=clinic)
        now = timezone.now()
        subscription.failed_attempts += 1
        subscription.past_due_since = subscription.past_due_since or now
        retry_days = billing_settings.retry_days
        delay = retry_days[min(subscription.failed_attempts - 1, len(retry_days) - 1)]
        subscription.next_attempt_at = now + timedelta(days=delay)
        subscription.save(update_fields=["failed_attempts", "past_due_since", "next_attempt_at"])
        if clinic.status == Clinic.Status.ACTIVE:
            clinic.status = Clinic.Status.PAST_DUE
            clinic.save(update_fields=["status"])
        _queue_billing_email(clinic, "payment_failed", payment=payment)


def enforce_grace_period(*, now=None) -> int:
    """Past-due clinics whose grace period is over are suspended (their data stays)."""
    now = now or timezone.now()
    limit = now - timedelta(days=billing_settings.grace_days)
    suspended = 0
    for subscription in Subscription.objects.select_related("clinic").filter(clinic__status=Clinic.Status.PAST_DUE, past_due_since__lte=limit):
        set_clinic_status(clinic=subscription.clinic, status=Clinic.Status.SUSPENDED)
        _queue_billing_email(subscription.clinic, "suspended")
        suspended += 1
    return suspended


def end_cancelled_subscriptions(*, now=None) -> int:
    now = now or timezone.now()
    ended = 0
    for subscription in Subscription.objects.select_related("clinic").filter(
        cancel_at_period_end=True, clinic__paid_until__lte=now
    ).exclude(clinic__status=Clinic.Status.CANCELLED):
        set_clinic_status(clinic=subscription.clinic, status=Clinic.Status.CANCELLED)
        ended += 1
    return ended


def set_clinic_status(*, clinic, status) -> None:
    """Operators' suspend/reactivate and the lifecycle above: one place that changes the status."""
    Clinic.objects.filter(pk=clinic.pk).update(status=status)
    clinic.status = status
    from portal.middleware import tenancy_changed
    from portal.pagecache import clinic_changed

    # The update sends no signal: this process forgets its hosts at once, every other
    # one within TENANT_STATE_CHECK_SECONDS, and no cached page of the clinic is served.
    tenancy_changed()
    clinic_changed(clinic.schema_name)


def set_cancel_at_period_end(*, clinic, cancel: bool) -> None:
    Subscription.objects.filter(clinic=clinic).update(cancel_at_period_end=cancel)


def update_card(*, clinic, setup_intent: str) -> None:
    """Save the card the clinic admin entered (SetupIntent confirmed in the page)."""
    subscription = Subscription.objects.get(clinic=clinic)
    subscription.payment_method = gateway.saved_payment_method(setup_intent=setup_intent, customer=subscription.stripe_customer)
    subscription.next_attempt_at = None
    subscription.save(update_fields=["payment_method", "next_attempt_at"])


def start_card_update(*, clinic) -> str:
    """A SetupIntent for the clinic's Stripe customer (created now if the clinic has none)."""
    subscription = Subscription.objects.get(clinic=clinic)
    if not subscription.stripe_customer:
        subscription.stripe_customer = gateway.create_customer(
            email="", name=clinic.name, metadata={"kind": "clinic", "clinic": clinic.schema_name}
        )
        subscription.save(update_fields=["stripe_customer"])
    _id, secret = gateway.create_setup_intent(customer=subscription.stripe_customer, metadata={"kind": "clinic", "clinic": clinic.schema_name})
    return secret


def _queue_billing_email(clinic, template: str, **extra) -> None:
    """E-mail the clinic's admins (in the clinic's schema, after commit)."""
    from portal.tasks import enqueue_on_commit

    schema, clinic_id = clinic.schema_name, clinic.pk
    payment_id = extra.get("payment").pk if extra.get("payment") else None
    enqueue_on_commit("billing.emails.send_billing_email", schema_name=schema, clinic_id=clinic_id, template=template, payment_id=payment_id)
