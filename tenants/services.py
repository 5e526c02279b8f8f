"""Platform use cases (public schema): the platform row, the clone template, new clinics."""

import logging
from datetime import timedelta
from functools import partial
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import gateway
from billing.models import Payment, Subscription

from portal.tenancy import (
    assert_template_current,
    clinic_context,
    public_context,
    template_schema,
)

from .models import Clinic, Domain, Plan, Signup
from .validators import validate_clinic_slug, validate_time_zone

logger = logging.getLogger(__name__)

DEFAULT_PLANS = [
    dict(code="prueba", name="Prueba", description="30 días gratis, sin tarjeta; después, mes a mes.", price=Decimal("49.00"), interval=Plan.Interval.MONTH, trial_days=30, max_practitioners=10, max_staff_users=20, sort_order=0),
    dict(code="mensual", name="Mensual", description="Todo incluido, mes a mes.", price=Decimal("49.00"), interval=Plan.Interval.MONTH, trial_days=0, max_practitioners=10, max_staff_users=20, sort_order=1),
    dict(code="anual", name="Anual", description="Dos meses gratis al pagar el año.", price=Decimal("490.00"), interval=Plan.Interval.YEAR, trial_days=0, max_practitioners=None, max_staff_users=None, sort_order=2),
]


def ensure_platform() -> Clinic:
    """The platform's own tenant row and domain, default plans, and a current clone template.

    Idempotent; run by ``manage.py setup_platform`` (``make dev``, ``make test``, release).
    Also registers the periodic jobs (billing cycle, signup expiry, event retries).
    Side effects: may create the template schema (all migrations, about 10 s once).
    """
    with public_context():
        platform, _created = Clinic.objects.get_or_create(
            schema_name="public", defaults={"name": "Clinic Portal", "slug": "platform", "kind": Clinic.Kind.PLATFORM}
        )
        Domain.objects.update_or_create(domain=settings.PLATFORM_HOST, defaults={"tenant": platform, "is_primary": True})
        for plan in DEFAULT_PLANS:
            Plan.objects.get_or_create(code=plan["code"], defaults=plan)
        ensure_schedules()
        prepare_template()
    return platform


def prepare_template() -> Clinic:
    """Create (once) and seed the clone template; refuse to go on if it lags the code."""
    from clinic.defaults import seed_clinic_defaults
    from theme.defaults import build_default_site

    template = Clinic.objects.filter(schema_name=template_schema()).first()
    if template is None:
        # Not get_or_create: its transaction would wrap every migration of the new
        # schema, and Wagtail's data migrations then fail on pending trigger events.
        template = Clinic(schema_name=template_schema(), name="Template", slug="template", kind=Clinic.Kind.TEMPLATE)
        template.save(verbosity=0)
    assert_template_current()
    with clinic_context(template):
        build_default_site()
        seed_clinic_defaults()
    return template


def create_clinic(
    *,
    name: str,
    slug: str,
    admin_email: str,
    plan: Plan | None = None,
    time_zone: str = "Europe/Madrid",
    currency: str = "EUR",
    brand: dict | None = None,
    admin_first_name: str = "",
    admin_last_name: str = "",
) -> tuple[Clinic, bool]:
    """A live clinic: schema cloned from the template, domain, site, brand, admin user.

    Idempotent by ``slug``: a second call finds the clinic and completes anything
    missing, never making a second one. One transaction: a failure leaves no schema,
    no row and no user behind. Side effects: a schema, a Clinic and a Domain row,
    the admin user and, when that user is new, a queued set-password e-mail (sent
    after commit). Returns ``(clinic, created)``.
    """
    from clinic.roles import Role
    from clinic.staff import add_staff_member
    from portal.accounts import queue_set_password_email
    from theme.defaults import configure_site

    validate_clinic_slug(slug)
    validate_time_zone(time_zone)
    if not name.strip():
        raise ValidationError(_("The clinic needs a name."))
    with public_context(), transaction.atomic():
        clinic = Clinic.objects.filter(slug=slug).first()
        created = clinic is None
        if created:
            clinic = Clinic(
                name=name.strip(), slug=slug, schema_name=Clinic.schema_for_slug(slug), kind=Clinic.Kind.CLINIC,
                plan=plan, time_zone=time_zone, currency=currency,
            )
            clinic.save(verbosity=0)  # clones the template schema (Clinic.create_schema guards it)
        elif clinic.kind != Clinic.Kind.CLINIC:
            raise ValidationError(_("“%(slug)s” is reserved. Please choose another address.") % {"slug": slug})
        host = f"{slug}.{settings.PLATFORM_HOST}"
        domain, _created = Domain.objects.get_or_create(domain=host, defaults={"tenant": clinic, "is_primary": True})
        if domain.tenant_id != clinic.pk:
            raise ValidationError(_("The address %(host)s is already in use.") % {"host": host})
        with clinic_context(clinic):
            configure_site(name=clinic.name, host=clinic.primary_host, brand=brand if created else None)
            admin, admin_created = add_staff_member(
                email=admin_email, role=Role.CLINIC_ADMIN, first_name=admin_first_name, last_name=admin_last_name
            )
            if admin_created:
                queue_set_password_email(user=admin, clinic=clinic)
    logger.info("clinic %s %s", slug, "created" if created else "already existed")
    return clinic, created


# SIGNUP AND PROVISIONING
# ------------------------------------------------------------------------------


class SlugTaken(Exception):
    """Another signup or clinic took the subdomain first."""


def start_signup(*, form) -> Signup:
    """Record a valid signup form. A trial plan goes straight to provisioning.

    The database refuses a second open signup for one subdomain (partial unique
    index): the loser of a race gets SlugTaken and nothing is stored.
    Side effects: a Signup row; for a trial, a queued provisioning job.
    """
    from django.utils.translation import get_language


    signup = form.save(commit=False)
    signup.accepted_terms_at = timezone.now()
    signup.language = (get_language() or settings.LANGUAGE_CODE)[:2]
    if Clinic.objects.filter(slug=signup.slug).exists():
        raise SlugTaken(signup.slug)
    try:
        with transaction.atomic():
            if signup.plan.trial_days:
                signup.status = Signup.Status.PAID
            signup.save()
    except IntegrityError as error:
        raise SlugTaken(signup.slug) from error
    if signup.status == Signup.Status.PAID:
        queue_provisioning(signup)
    return signup


def queue_provisioning(signup) -> None:
    from portal.tasks import enqueue

    signup_id = str(signup.pk)
    transaction.on_commit(lambda: enqueue("tenants.services.provision_signup", schema_name="public", signup_id=signup_id))


def prepare_signup_payment(*, signup) -> str:
    """A Stripe customer for the signup and a SetupIntent for its card. Returns the client secret.

    Two card pages opened at once keep one customer: the first one stored wins.
    """

    if not signup.stripe_customer:
        customer = gateway.create_customer(
            email=signup.email, name=signup.clinic_name, metadata={"kind": "signup", "signup": str(signup.pk)},
            idempotency_key=f"customer-signup-{signup.pk}",
        )
        Signup.objects.filter(pk=signup.pk, stripe_customer="").update(stripe_customer=customer)
        signup.refresh_from_db(fields=["stripe_customer"])
    _id, client_secret = gateway.create_setup_intent(customer=signup.stripe_customer, metadata={"kind": "signup", "signup": str(signup.pk)})
    return client_secret


def pay_signup(*, signup, setup_intent: str):
    """Charge the first period with the card the page just saved: one Payment Intent,
    however many requests arrive (billing.payments explains the claim).

    The amount is the plan's, from our database. Under the signup's row lock the first
    request creates the pending Payment row; it alone creates the intent, stores its
    id and confirms it. Any other request continues that intent: it returns its state
    (``processing`` while the first is under way, ``requires_action`` with the 3-D
    Secure step, ``succeeded``). The webhook, not this call, marks the signup paid.
    No Stripe call runs under the lock. Raises gateway.GatewayError on a decline.
    """
    from billing.payments import claim, continue_payment

    card = gateway.saved_payment_method(setup_intent=setup_intent, customer=signup.stripe_customer)
    for _round in range(2):
        with transaction.atomic():
            signup = Signup.objects.select_for_update(of=("self",)).select_related("plan").get(pk=signup.pk)
            if signup.status != Signup.Status.PENDING_PAYMENT:
                raise gateway.GatewayError(_("This signup is already paid."), "already_paid")
            live = Payment.objects.filter(signup=signup, kind=Payment.Kind.FIRST_PERIOD, status__in=[Payment.Status.PENDING, Payment.Status.SUCCEEDED])

            def create(**fields):
                signup.payment_method = card  # the card of the attempt that charges
                signup.save(update_fields=["payment_method"])
                start = timezone.now()
                return Payment.objects.create(
                    signup=signup, kind=Payment.Kind.FIRST_PERIOD, amount=signup.plan.price, currency=signup.plan.currency,
                    period_start=start, period_end=add_interval(start, signup.plan), **fields,
                )

            claimed = claim(live, create)
        charge = continue_payment(
            model=Payment, claimed=claimed, key=f"signup-{signup.pk}-payment-{claimed.pk}", customer=signup.stripe_customer,
            payment_method=signup.payment_method, amount=signup.plan.price, currency=signup.plan.currency,
            metadata={"kind": "signup", "signup": str(signup.pk), "payment": str(claimed.pk)},
        )
        if not (charge.failed and not claimed.created):
            break
        # The intent under way had failed (3-D Secure refused, card declined later): a new attempt.
    if charge.failed:
        raise gateway.GatewayError(_("The payment did not go through. Please try again or use another card."), charge.status)
    return charge


def record_signup_payment(*, signup_id: str, payment_intent: str, amount_minor: int, currency: str) -> bool:
    """Webhook job: a signup's first payment succeeded. Idempotent; queues provisioning once.

    Only the Payment Intent stored on the signup's payment row counts: any other one
    raises billing.payments.ForeignPaymentIntent and records nothing. Checks the
    amount and currency Stripe reports against the plan (PRIOR-ART #17, #18). A signup
    that expired before its payment arrived is taken up again when its address is
    still free; otherwise it is marked failed for an operator (the payment is kept).
    Returns True when this call moved the signup to paid.
    """
    from billing.payments import check_intent

    with transaction.atomic():
        signup = Signup.objects.select_for_update(of=("self",)).select_related("plan").filter(pk=signup_id).first()
        if signup is None:
            raise LookupError(f"no signup {signup_id}")
        payments = Payment.objects.select_for_update().filter(signup=signup, kind=Payment.Kind.FIRST_PERIOD)
        payment = payments.filter(stripe_payment_intent=payment_intent).first()
        if payment is None:
            live = payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.SUCCEEDED]).first()
            check_intent(
                stored=live.stripe_payment_intent if live else "", received=payment_intent, what=f"signup {signup_id}",
                in_flight=bool(live and live.status == Payment.Status.PENDING),
            )
        expected = gateway.to_minor_units(signup.plan.price, signup.plan.currency)
        if amount_minor != expected or currency.upper() != signup.plan.currency:
            raise ValueError(f"payment {payment_intent} is {amount_minor} {currency}, the plan costs {expected} {signup.plan.currency}")
        now = timezone.now()
        if payment.status != Payment.Status.SUCCEEDED:
            payment.status, payment.paid_at = Payment.Status.SUCCEEDED, now
            payment.save(update_fields=["status", "paid_at"])
        if signup.status == Signup.Status.EXPIRED:
            taken = Clinic.objects.filter(slug=signup.slug).exists() or Signup.objects.open().filter(slug=signup.slug).exclude(pk=signup.pk).exists()
            if taken:
                signup.paid_at = now
                signup.error = f"Paid after the signup expired, and the address “{signup.slug}” was taken meanwhile: refund or agree another address."
                signup.save(update_fields=["paid_at", "error"])
                try:
                    with transaction.atomic():
                        Signup.objects.filter(pk=signup.pk).update(status=Signup.Status.FAILED)
                except IntegrityError:
                    pass  # another open signup holds the address: this one stays expired, with the error
                logger.warning("signup %s paid after expiring; its address %s is taken", signup_id, signup.slug)
                return False
        elif signup.status != Signup.Status.PENDING_PAYMENT:
            return False
        signup.status, signup.paid_at = Signup.Status.PAID, now
        signup.save(update_fields=["status", "paid_at"])
        queue_provisioning(signup)
    return True


def record_signup_payment_failure(*, signup_id: str, payment_intent: str, message: str) -> None:
    """Webhook job: a first payment failed. The signup stays open for another card.

    Only the intent stored for this signup counts (ForeignPaymentIntent otherwise).
    """
    from billing.payments import ForeignPaymentIntent

    updated = Payment.objects.filter(signup_id=signup_id, stripe_payment_intent=payment_intent).exclude(status=Payment.Status.SUCCEEDED).update(
        status=Payment.Status.FAILED, failure_message=message[:1000]
    )
    if not updated and not Payment.objects.filter(signup_id=signup_id, stripe_payment_intent=payment_intent).exists():
        raise ForeignPaymentIntent(f"{payment_intent} is not a Payment Intent of signup {signup_id}: nothing recorded")


def provision_signup(*, signup_id: str) -> Clinic:
    """Job: the paid signup becomes a live clinic. Idempotent and retryable.

    A second run (retried job, redelivered event, operator retry) finds the clinic
    by slug and only completes what is missing. A failure marks the signup failed
    with the error; its payment stays recorded. Side effects: the clinic (schema,
    domain, site, brand, admin with a set-password e-mail), its Subscription, the
    welcome e-mail.
    """
    import traceback


    from .forms import COUNTRIES

    with transaction.atomic():
        signup = Signup.objects.select_for_update(of=("self",)).select_related("plan", "clinic").get(pk=signup_id)
        if signup.status == Signup.Status.LIVE:
            return signup.clinic
        if signup.status not in (Signup.Status.PAID, Signup.Status.FAILED):
            raise ValueError(f"signup {signup_id} is {signup.status}, not paid")
    try:
        clinic, _created = create_clinic(
            name=signup.clinic_name, slug=signup.slug, admin_email=signup.email, plan=signup.plan,
            time_zone=signup.time_zone, currency=COUNTRIES.get(signup.country, ("", "", "EUR"))[2],
            brand={"display_name": signup.clinic_name, "email": signup.email, "phone": signup.phone},
            admin_first_name=signup.contact_name,
        )
        with transaction.atomic():
            signup = Signup.objects.select_for_update().get(pk=signup_id)
            first = Payment.objects.filter(signup=signup, status=Payment.Status.SUCCEEDED).order_by("created").first()
            clinic.paid_until = first.period_end if first else timezone.now() + timedelta(days=signup.plan.trial_days)
            clinic.status = Clinic.Status.ACTIVE
            clinic.save(update_fields=["paid_until", "status"])
            Subscription.objects.update_or_create(
                clinic=clinic, defaults={"plan": signup.plan, "stripe_customer": signup.stripe_customer, "payment_method": signup.payment_method}
            )
            Payment.objects.filter(signup=signup).update(clinic=clinic)
            signup.clinic, signup.status, signup.error, signup.live_at = clinic, Signup.Status.LIVE, "", timezone.now()
            signup.save(update_fields=["clinic", "status", "error", "live_at"])
            queue_welcome_email(signup)
    except Exception:
        Signup.objects.filter(pk=signup_id).update(status=Signup.Status.FAILED, error=traceback.format_exc()[-4000:])
        logger.exception("provisioning signup %s failed", signup_id)
        raise
    return clinic


def retry_provisioning(*, signup) -> None:
    """Operator action on a failed signup: run provisioning again, now."""

    if signup.status != Signup.Status.FAILED:
        raise ValidationError(_("Only a failed signup can be retried."))
    provision_signup(signup_id=str(signup.pk))


def queue_welcome_email(signup) -> None:
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.utils.translation import override

    from portal.mail import queue_email, sender
    from portal.tenancy import clinic_url

    context = {"signup": signup, "site_url": clinic_url(signup.clinic), "admin_url": clinic_url(signup.clinic, "/admin/")}
    with override(signup.language):
        subject = " ".join(render_to_string("tenants/email/welcome_subject.txt", context).split())
        body = render_to_string("tenants/email/welcome_message.txt", context)
    queue_email(EmailMultiAlternatives(subject, body, sender("Clinic Portal"), [signup.email]))


def add_interval(start, plan):
    """``start`` plus one billing period of ``plan`` (calendar months, clamped to month end)."""
    import calendar

    months = 12 if plan.interval == Plan.Interval.YEAR else 1
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def expire_stale_signups(*, older_than=timedelta(hours=2)) -> int:
    """Scheduled job: unpaid signups older than ``older_than`` give their subdomain back."""
    return Signup.objects.filter(status=Signup.Status.PENDING_PAYMENT, created__lt=timezone.now() - older_than).update(
        status=Signup.Status.EXPIRED
    )


SCHEDULES = [
    # (name, function, minutes between runs[, keyword arguments])
    ("Billing cycle: renewals, grace periods, cancellations", "billing.subscriptions.run_billing_cycle", 60),
    ("Expire unpaid signups", "tenants.services.expire_stale_signups", 60),
    ("Retry failed Stripe events", "billing.services.reprocess_failed", 1),  # due ones only, with backoff
    ("Release unpaid appointment holds", "clinic.tasks.in_every_clinic", 1, {"func_path": "clinic.booking.release_expired_holds"}),
    ("Appointment reminders (24 h before)", "clinic.tasks.in_every_clinic", 15, {"func_path": "clinic.emails.send_due_reminders"}),
    ("Send refunds that never reached Stripe", "clinic.tasks.in_every_clinic", 10, {"func_path": "clinic.refunds.retry_stuck_refunds"}),
]


def ensure_schedules() -> None:
    """The platform's periodic jobs in django-q2's schedule table (idempotent)."""
    from django_q.models import Schedule

    for name, func, minutes, *kwargs in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1, "kwargs": repr(kwargs[0]) if kwargs else None},
        )
