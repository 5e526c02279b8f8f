"""Platform use cases (public schema): the platform row, the clone template, new clinics."""

import logging
import uuid
from contextlib import contextmanager
from datetime import timedelta
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
    schema_exists,
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
    admin_language: str = "",
    admin_password: str | None = None,
) -> tuple[Clinic, bool]:
    """A live clinic: schema cloned from the template, domain, site, brand, admin user.

    Idempotent by ``slug``: a second call finds the clinic and completes anything
    missing, never making a second one. One transaction: a failure leaves no schema,
    no row and no user behind. Side effects: a schema, a Clinic and a Domain row,
    the admin user and, when that user is new and gets no ``admin_password`` (demo
    seeding), a queued set-password e-mail in ``admin_language`` (sent after commit). Returns ``(clinic, created)``. (Signups are provisioned step by
    step instead, by :func:`provision_signup`, from the same building blocks.)
    """
    validate_clinic_slug(slug)
    validate_time_zone(time_zone)
    if not name.strip():
        raise ValidationError(_("The clinic needs a name."))
    with public_context(), transaction.atomic():
        clinic = Clinic.objects.filter(slug=slug).first()
        created = clinic is None
        if created:
            clinic = _clone_clinic(name=name, slug=slug, plan=plan, time_zone=time_zone, currency=currency)
        elif clinic.kind != Clinic.Kind.CLINIC:
            raise ValidationError(_("“%(slug)s” is reserved. Please choose another address.") % {"slug": slug})
        _ensure_domain(clinic)
        _configure_site(clinic, brand=brand if created else None)
        _ensure_admin(
            clinic, email=admin_email, first_name=admin_first_name, last_name=admin_last_name,
            language=admin_language, password=admin_password, invite="no" if admin_password else "if_new",
        )
    logger.info("clinic %s %s", slug, "created" if created else "already existed")
    return clinic, created


def _clone_clinic(*, name, slug, plan, time_zone, currency) -> Clinic:
    """The Clinic row and its schema, cloned from the template (Clinic.create_schema guards it).

    Postgres DDL is transactional: run inside a transaction, a crash leaves neither."""
    clinic = Clinic(
        name=name.strip(), slug=slug, schema_name=Clinic.schema_for_slug(slug), kind=Clinic.Kind.CLINIC,
        plan=plan, time_zone=time_zone, currency=currency,
    )
    clinic.save(verbosity=0)
    return clinic


def _ensure_domain(clinic) -> Domain:
    host = f"{clinic.slug}.{settings.PLATFORM_HOST}"
    domain, _created = Domain.objects.get_or_create(domain=host, defaults={"tenant": clinic, "is_primary": True})
    if domain.tenant_id != clinic.pk:
        raise ValidationError(_("The address %(host)s is already in use.") % {"host": host})
    return domain


def _configure_site(clinic, *, brand=None) -> None:
    from theme.defaults import configure_site

    with clinic_context(clinic):
        configure_site(name=clinic.name, host=clinic.primary_host, brand=brand)


def _ensure_admin(clinic, *, email, first_name="", last_name="", language="", password=None, invite: str = "if_new"):
    """The clinic's admin user (idempotent), writing to them in ``language``. ``invite``:
    "if_new" queues the set-password e-mail when the user is new, "yes" always, "no" never
    (demo seeding gives a ``password`` and sends none). Returns the user."""
    from clinic.roles import Role
    from clinic.staff import add_staff_member
    from portal.accounts import queue_set_password_email

    with clinic_context(clinic):
        admin, admin_created = add_staff_member(
            email=email, role=Role.CLINIC_ADMIN, first_name=first_name, last_name=last_name, password=password, language=language
        )
        if invite == "yes" or (invite == "if_new" and admin_created):
            queue_set_password_email(user=admin, clinic=clinic)
    return admin


# SIGNUP AND PROVISIONING
# ------------------------------------------------------------------------------


class SlugTaken(Exception):
    """Another signup or clinic took the subdomain first."""


class TooManyOpenSignups(Exception):
    """This e-mail address or IP already holds as many unpaid signups as allowed (issue 8)."""


class InvalidConfirmation(Exception):
    """An e-mail confirmation link that is forged, for another signup, expired or used up."""


def start_signup(*, form, ip_address: str | None = None) -> Signup:
    """Record a valid signup form: pending payment, or, on a trial plan, pending the
    owner's confirmation of the e-mail address (no clinic for invented addresses).

    The database refuses a second open signup for one subdomain (partial unique
    index): the loser of a race gets SlugTaken and nothing is stored. An unpaid
    signup holds its address for ``SIGNUP_HOLD_MINUTES``; one e-mail address or IP
    may hold at most ``MAX_OPEN_SIGNUPS`` at once (TooManyOpenSignups).
    Side effects: a Signup row; a lapsed hold on the same address is expired; for a
    trial, a queued confirmation e-mail.
    """
    from django.utils.translation import get_language

    from .conf import tenants_settings

    signup = form.save(commit=False)
    signup.accepted_terms_at = timezone.now()
    signup.language = (get_language() or settings.LANGUAGE_CODE)[:2]
    ip_address = _valid_ip(ip_address)
    signup.ip_address = ip_address
    signup.status = Signup.Status.PENDING_EMAIL if signup.plan.trial_days else Signup.Status.PENDING_PAYMENT
    if Clinic.objects.filter(slug=signup.slug).exists():
        raise SlugTaken(signup.slug)
    with transaction.atomic():
        # Two tabs posting at once must not both pass the count below.
        _advisory_xact_lock(f"signup-holder:{signup.email}")
        if ip_address:
            _advisory_xact_lock(f"signup-holder:{ip_address}")
        # A hold that ran out gives its address back now, not at the next expiry run.
        Signup.objects.unpaid_past_hold().filter(slug=signup.slug).update(status=Signup.Status.EXPIRED)
        holding = Signup.objects.open_unpaid()
        limit = tenants_settings.max_open_signups
        if holding.filter(email=signup.email).count() >= limit or (ip_address and holding.filter(ip_address=ip_address).count() >= limit):
            raise TooManyOpenSignups(signup.email)
        try:
            with transaction.atomic():
                signup.save()
        except IntegrityError as error:
            raise SlugTaken(signup.slug) from error
        if signup.status == Signup.Status.PENDING_EMAIL:
            queue_signup_confirmation_email(signup)
    return signup


CONFIRMATION_SALT = "tenants.signup.confirm-email"  # platform host only; no clinic signs with it


def signup_confirmation_token(signup) -> str:
    """A signed value bound to this signup and its address; it lives as long as the hold."""
    from django.core import signing

    return signing.dumps({"signup": str(signup.pk), "email": signup.email}, salt=CONFIRMATION_SALT)


def queue_signup_confirmation_email(signup) -> None:
    """Queue (after commit) the e-mail with the link that confirms a trial signup's address,
    in the signup's language, with a link to the platform host."""
    from django.urls import reverse

    from portal.mail import queue_email, render_email, sender
    from portal.tenancy import platform_url

    from .conf import tenants_settings

    path = reverse("tenants:signup_confirm", kwargs={"signup_id": signup.pk, "token": signup_confirmation_token(signup)}, urlconf="portal.urls_public")
    context = {"signup": signup, "confirm_url": platform_url(path), "minutes": tenants_settings.signup_hold_minutes}
    message = render_email("tenants/email/confirm_signup", context, language=signup.language, to=[signup.email], from_email=sender("Clinic Portal"))
    with public_context():
        queue_email(message)


def confirm_signup_email(*, signup_id, token: str) -> Signup:
    """The owner clicked the link in the confirmation e-mail: the trial signup goes on to
    provisioning. Single use: only a signup still waiting (and within its hold) moves;
    a second click changes nothing and returns the signup.

    Raises InvalidConfirmation for a forged, foreign or expired link. Side effects: the
    signup becomes paid (nothing to pay on a trial) and its provisioning job is queued.
    """
    from django.core import signing

    from .conf import tenants_settings

    try:
        data = signing.loads(token, salt=CONFIRMATION_SALT, max_age=tenants_settings.signup_hold_minutes * 60)
    except signing.BadSignature as error:  # SignatureExpired included
        raise InvalidConfirmation(str(error)) from error
    if not isinstance(data, dict) or data.get("signup") != str(signup_id):
        raise InvalidConfirmation("the link belongs to another signup")
    with transaction.atomic():
        signup = Signup.objects.select_for_update().filter(pk=signup_id).first()
        if signup is None or data.get("email") != signup.email:
            raise InvalidConfirmation("no such signup")
        if signup.email_confirmed_at:
            return signup  # used already: nothing more to do
        if signup.status != Signup.Status.PENDING_EMAIL or signup.hold_ends < timezone.now():
            raise InvalidConfirmation("the signup expired")
        signup.status, signup.email_confirmed_at = Signup.Status.PAID, timezone.now()
        signup.save(update_fields=["status", "email_confirmed_at"])
        queue_provisioning(signup)
    return signup


def queue_provisioning(signup) -> None:
    """Queue :func:`provision_signup` as its own job once the current transaction commits.

    If the worker dies before or while it runs, :func:`sweep_unprovisioned_signups`
    finds the signup still paid without a live clinic and queues it again
    (STACK-NOTES: work queued on commit inside a job can be lost).
    """
    from portal.tasks import enqueue_on_commit

    signup_id = str(signup.pk)
    enqueue_on_commit("tenants.services.provision_signup", schema_name="public", signup_id=signup_id)


def _valid_ip(value) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address(value or ""))
    except ValueError:
        return None


def _advisory_xact_lock(name: str) -> None:
    """A PostgreSQL lock on ``name`` held until the current transaction ends."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])


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
    from billing.payments import claim, pay_once

    card = gateway.saved_payment_method(setup_intent=setup_intent, customer=signup.stripe_customer)
    locked = signup

    def claim_locked():
        nonlocal locked
        locked = Signup.objects.select_for_update(of=("self",)).select_related("plan").get(pk=signup.pk)
        if locked.status != Signup.Status.PENDING_PAYMENT:
            raise gateway.GatewayError(_("This signup is already paid."), "already_paid")
        live = Payment.objects.filter(signup=locked, kind=Payment.Kind.FIRST_PERIOD, status__in=[Payment.Status.PENDING, Payment.Status.SUCCEEDED])

        def create(**fields):
            locked.payment_method = card  # the card of the attempt that charges
            locked.save(update_fields=["payment_method"])
            start = timezone.now()
            return Payment.objects.create(
                signup=locked, kind=Payment.Kind.FIRST_PERIOD, amount=locked.plan.price, currency=locked.plan.currency,
                period_start=start, period_end=add_interval(start, locked.plan), **fields,
            )

        return claim(live, create)

    def charge_args(claimed):
        return dict(
            key=f"signup-{locked.pk}-payment-{claimed.pk}", customer=locked.stripe_customer, payment_method=locked.payment_method,
            amount=locked.plan.price, currency=locked.plan.currency,
            metadata={"kind": "signup", "signup": str(locked.pk), "payment": str(claimed.pk)},
        )

    return pay_once(model=Payment, claim_locked=claim_locked, charge_args=charge_args)


def record_signup_payment(*, signup_id: str, payment_intent: str, amount_minor: int, currency: str) -> bool:
    """Webhook job: a signup's first payment succeeded. Idempotent; queues provisioning once.

    Only the Payment Intent stored on the signup's payment row counts: any other one
    raises billing.payments.ForeignPaymentIntent and records nothing. Checks the
    amount and currency Stripe reports against the plan (PRIOR-ART #17, #18). The
    platform's invoice for the payment is issued in the same transaction (billing.invoices),
    to the signup's legal data (the clinic does not exist yet). A signup
    that expired before its payment arrived is taken up again when its address is
    still free; otherwise it stays expired and the payment is refunded automatically,
    with an e-mail to the contact (:func:`_refund_late_payment`).
    Returns True when this call moved the signup to paid.
    """
    from billing.invoices import invoice_within
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
        # The platform's invoice, committed with the payment (once; a redelivery finds it).
        invoice_within(payment)
        if signup.status == Signup.Status.EXPIRED:
            taken = Clinic.objects.filter(slug=signup.slug).exists() or Signup.objects.open().filter(slug=signup.slug).exclude(pk=signup.pk).exists()
            if taken:
                _refund_late_payment(signup, payment, now)
                return False
        elif signup.status != Signup.Status.PENDING_PAYMENT:
            return False
        signup.status, signup.paid_at = Signup.Status.PAID, now
        signup.save(update_fields=["status", "paid_at"])
        # Its own job, not an on-commit step of this one (issue 8 #4): the sweep finds
        # the signup again if the worker dies before the job runs.
        queue_provisioning(signup)
    return True


def _refund_late_payment(signup, payment, now) -> None:
    """Paid after expiring, and the address was taken meanwhile: the payment is refunded
    by itself (issue 8 #4: never paid and forgotten), in this transaction as a row and
    after commit by its own job (billing.refunds), which e-mails the contact once Stripe
    has refunded. The signup stays *expired*: expired signups are outside the unique
    index on open addresses (whoever took the address keeps it, even another open
    signup) and are never provisioned, by the sweep or by an operator. ``paid_at`` and
    the note in ``error`` say what happened; the status page reads the refund.
    A second event for the same payment finds the refund and adds nothing."""
    from billing.refunds import request_refund

    signup.paid_at = signup.paid_at or now
    signup.error = f"Paid after the signup expired, and the address “{signup.slug}” was taken meanwhile: the payment is refunded automatically (Billing › Platform refunds)."
    signup.save(update_fields=["paid_at", "error"])
    request_refund(payment=payment, reason=f"Signup {signup.pk} paid after it expired; its address {signup.slug} was taken")
    logger.warning("signup %s paid after expiring; its address %s is taken: refunding payment %s", signup.pk, signup.slug, payment.pk)


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


class ProvisioningBusy(Exception):
    """Another job is provisioning this signup right now."""


def provision_signup(*, signup_id: str) -> Clinic | None:
    """Job: a paid (or confirmed trial) signup becomes a live clinic. Idempotent and resumable.

    Each step in :data:`PROVISIONING_STEPS` runs in its own transaction and first checks
    whether it is already done, so a run after any crash (a retried job, the sweep, an
    operator) completes only what is missing. A PostgreSQL session lock keeps two runs
    for one signup apart; it dies with a killed worker's connection. A failure records
    the error and marks the signup failed (the sweep retries it a few times, then an
    operator); its payment stays recorded. Returns the clinic, or None when another run
    holds the signup or this one failed (the failure is logged and kept on the signup, so
    the job itself does not fail). Side effects: the clinic (schema, domain, site, brand,
    admin with a set-password e-mail), its Subscription, its payments linked, the welcome
    e-mail.
    """
    try:
        return _provision(signup_id)
    except ProvisioningBusy:
        logger.info("signup %s is being provisioned by another job", signup_id)
    except Exception as error:  # noqa: BLE001 - a failed step is also stored on the signup by _provision
        logger.warning("provisioning signup %s stopped: %s", signup_id, error)
    return None


def _provision(signup_id: str) -> Clinic:
    import traceback

    with public_context(), _provisioning_lock(signup_id):
        signup = _claim_for_provisioning(signup_id)
        if signup.status == Signup.Status.LIVE:
            return signup.clinic
        try:
            for _name, step in PROVISIONING_STEPS:
                step(signup)
        except Exception:
            with transaction.atomic():
                Signup.objects.filter(pk=signup_id).exclude(status=Signup.Status.LIVE).update(
                    status=Signup.Status.FAILED, error=traceback.format_exc()[-4000:]
                )
            logger.exception("provisioning signup %s failed", signup_id)
            raise
    logger.info("signup %s is live as %s", signup_id, signup.slug)
    return signup.clinic


@contextmanager
def _provisioning_lock(signup_id):
    """``pg_try_advisory_lock`` on the signup for the whole run, across its transactions.
    A session lock: a killed worker's connection takes it away with it."""
    from django.db import connection

    key = uuid.UUID(str(signup_id)).int & ((1 << 63) - 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            raise ProvisioningBusy(signup_id)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _claim_for_provisioning(signup_id) -> Signup:
    """Check the signup may be provisioned and count the attempt (committed at once, so a
    crash in any step still counts)."""
    with transaction.atomic():
        signup = Signup.objects.select_for_update(of=("self",)).select_related("plan", "clinic").get(pk=signup_id)
        if signup.status == Signup.Status.LIVE:
            return signup
        if signup.status not in Signup.PAID_STATUSES:
            raise ValueError(f"signup {signup_id} is {signup.status}, not paid")
        signup.status = Signup.Status.PAID
        signup.provisioning_attempts += 1
        signup.provisioning_started_at = timezone.now()
        signup.save(update_fields=["status", "provisioning_attempts", "provisioning_started_at"])
    return signup


def _locked(signup) -> Signup:
    return Signup.objects.select_for_update(of=("self",)).select_related("plan", "clinic").get(pk=signup.pk)


def _step_clinic(signup) -> None:
    """The Clinic row and its cloned schema, linked to the signup in the same transaction."""
    from .forms import COUNTRIES

    with transaction.atomic():
        row = _locked(signup)
        clinic = row.clinic
        if clinic is None:
            existing = Clinic.objects.filter(slug=row.slug).first()
            if existing is not None and not _left_by_this_signup(existing, row):
                raise ValidationError(_("The address %(slug)s was taken by another clinic.") % {"slug": row.slug})
            clinic = existing or _clone_clinic(
                name=row.clinic_name, slug=row.slug, plan=row.plan, time_zone=row.time_zone,
                currency=COUNTRIES.get(row.country, ("", "", "EUR"))[2],
            )
            row.clinic = clinic
            row.save(update_fields=["clinic"])
        elif not schema_exists(clinic.schema_name):
            clinic.save(verbosity=0)  # django-tenants creates (here: clones) a missing schema
    signup.clinic = clinic


def _left_by_this_signup(clinic, signup) -> bool:
    """A clinic with the signup's address but not linked to it: made by this signup's
    provisioning before clinics were linked at once? Only if it has no signup of its own
    and this signup's e-mail is already a user there (adopting it grants nothing new)."""
    from django.contrib.auth import get_user_model

    if clinic.kind != Clinic.Kind.CLINIC or Signup.objects.filter(clinic=clinic).exists() or clinic.created < signup.created:
        return False
    with clinic_context(clinic):
        return get_user_model().objects.filter(email=signup.email).exists()


def _step_legal(signup) -> None:
    """The clinic's legal data from the signup form (optional there), for the platform's
    invoices. A field the clinic already has is left alone, so a rerun never undoes what
    its admin wrote on the billing page since."""
    from .forms import LEGAL_FIELDS

    with transaction.atomic():
        row = _locked(signup)
        clinic = Clinic.objects.select_for_update().get(pk=signup.clinic.pk)
        copied = [name for name in LEGAL_FIELDS if getattr(row, name) and not getattr(clinic, name)]
        for name in copied:
            setattr(clinic, name, getattr(row, name))
        if copied:
            clinic.save(update_fields=copied)
        signup.clinic = clinic


def _step_domain(signup) -> None:
    with transaction.atomic():
        _ensure_domain(signup.clinic)


def _step_site(signup) -> None:
    """Site host and name, brand from the signup (the same values on every run)."""
    with transaction.atomic():
        _configure_site(signup.clinic, brand={"display_name": signup.clinic_name, "email": signup.email, "phone": signup.phone})


def _step_practice(signup) -> None:
    """The starter catalogue and home page made to fit the kind of practice (only while
    untouched, so a rerun or a clinic that already edited them changes nothing)."""
    from clinic.defaults import fit_to_practice

    with transaction.atomic():
        row = _locked(signup)
        clinic = Clinic.objects.select_for_update().get(pk=signup.clinic.pk)
        if clinic.practice_type != row.practice_type:
            clinic.practice_type = row.practice_type
            clinic.save(update_fields=["practice_type"])
    with clinic_context(signup.clinic):
        fit_to_practice(row.practice_type)


def _step_admin(signup) -> None:
    """The admin user, and the set-password e-mail queued once (marked in the same transaction)."""
    with transaction.atomic():
        row = _locked(signup)
        _ensure_admin(
            signup.clinic, email=row.email, first_name=row.contact_name, language=row.language,
            invite="no" if row.admin_invited_at else "yes",
        )
        if not row.admin_invited_at:
            row.admin_invited_at = timezone.now()
            row.save(update_fields=["admin_invited_at"])


def _step_subscription(signup) -> None:
    """Paid until the end of the first period (or the trial), active, with the card for renewals."""
    with transaction.atomic():
        row = _locked(signup)
        clinic = Clinic.objects.select_for_update().get(pk=signup.clinic.pk)
        first = Payment.objects.filter(signup=row, status=Payment.Status.SUCCEEDED).order_by("created").first()
        start = row.email_confirmed_at or row.paid_at or timezone.now()
        clinic.paid_until = first.period_end if first else start + timedelta(days=row.plan.trial_days)
        clinic.status = Clinic.Status.ACTIVE
        clinic.save(update_fields=["paid_until", "status"])
        Subscription.objects.update_or_create(
            clinic=clinic, defaults={"plan": row.plan, "stripe_customer": row.stripe_customer, "payment_method": row.payment_method}
        )
        signup.clinic = clinic


def _step_payments(signup) -> None:
    """The signup's payments belong to the clinic from now on."""
    Payment.objects.filter(signup_id=signup.pk).update(clinic=signup.clinic)


def _step_welcome(signup) -> None:
    """The welcome e-mail, queued once (marked in the same transaction), before the
    signup is live: a run that stops in between sends it on the next run, never twice."""
    with transaction.atomic():
        row = _locked(signup)
        if not row.welcome_sent_at:
            queue_welcome_email(row)
            row.welcome_sent_at = timezone.now()
            row.save(update_fields=["welcome_sent_at"])


def _step_live(signup) -> None:
    with transaction.atomic():
        row = _locked(signup)
        row.status, row.error, row.live_at = Signup.Status.LIVE, "", timezone.now()
        row.save(update_fields=["status", "error", "live_at"])
        signup.status = row.status


# In order; each is idempotent and checks what an earlier run already did.
PROVISIONING_STEPS = [
    ("clinic", _step_clinic),
    ("legal", _step_legal),
    ("domain", _step_domain),
    ("site", _step_site),
    ("practice", _step_practice),
    ("admin", _step_admin),
    ("subscription", _step_subscription),
    ("payments", _step_payments),
    ("welcome", _step_welcome),
    ("live", _step_live),
]


def sweep_unprovisioned_signups() -> int:
    """Scheduled job: queue provisioning again for signups left without a live clinic.

    Picks paid signups whose last attempt (or payment) is older than the grace time (a
    lost job, a killed worker), and failed ones that provisioning itself failed, after
    a growing wait. After ``PROVISIONING_MAX_ATTEMPTS`` a signup stays failed for an
    operator (visible in the admin) instead of looping. Returns how many were queued.
    Side effects: provisioning jobs; signups given up on are marked failed.
    """
    from django.db.models.functions import Coalesce

    from portal.tasks import enqueue

    from .conf import tenants_settings

    now = timezone.now()
    limit = tenants_settings.provisioning_max_attempts
    backoff = tenants_settings.provisioning_backoff_seconds
    queued = []
    stuck = Signup.objects.filter(status=Signup.Status.PAID).annotate(
        since=Coalesce("provisioning_started_at", "paid_at", "email_confirmed_at", "created")
    ).filter(since__lt=now - timedelta(seconds=tenants_settings.provisioning_grace_seconds))
    for signup in stuck:
        if signup.provisioning_attempts >= limit:
            Signup.objects.filter(pk=signup.pk, status=Signup.Status.PAID).update(
                status=Signup.Status.FAILED,
                error=f"Gave up after {signup.provisioning_attempts} attempts that never finished (worker killed?).\n{signup.error}"[:4000],
            )
            continue
        queued.append(signup.pk)
    # Failed by the payment handler (attempts 0: e.g. the address was taken) is not ours to retry.
    failed = Signup.objects.filter(status=Signup.Status.FAILED, provisioning_attempts__gte=1, provisioning_attempts__lt=limit)
    for signup in failed:
        wait = backoff[min(signup.provisioning_attempts, len(backoff)) - 1]
        if signup.provisioning_started_at is None or signup.provisioning_started_at <= now - timedelta(seconds=wait):
            queued.append(signup.pk)
    for signup_id in queued:
        enqueue("tenants.services.provision_signup", schema_name="public", signup_id=str(signup_id))
    return len(queued)


def retry_provisioning(*, signup) -> Clinic:
    """Operator action on a paid or failed signup: run provisioning again, now.

    Raises ValidationError for another status or while a job is at it; any other
    failure propagates (and is stored on the signup)."""
    if signup.status not in Signup.PAID_STATUSES:
        raise ValidationError(_("Only a paid or failed signup can be retried."))
    try:
        return _provision(str(signup.pk))
    except ProvisioningBusy as error:
        raise ValidationError(_("This signup is being provisioned right now. Try again in a minute.")) from error


def update_legal_data(*, clinic, legal_name: str, tax_id: str, fiscal_address: str) -> None:
    """A clinic admin's legal data (tenants.forms.ClinicLegalForm, validated there): who the
    platform's next invoices are made out to. Invoices already issued keep what they say.
    Side effects: the clinic row; this process forgets its remembered hosts (the clinic
    object it serves)."""
    from portal.middleware import forget_hosts

    Clinic.objects.filter(pk=clinic.pk).update(legal_name=legal_name, tax_id=tax_id, fiscal_address=fiscal_address)
    clinic.legal_name, clinic.tax_id, clinic.fiscal_address = legal_name, tax_id, fiscal_address
    forget_hosts()
    logger.info("clinic %s changed its legal data (tax ID %s)", clinic.schema_name, tax_id)


def queue_welcome_email(signup) -> None:
    from portal.mail import queue_email, render_email, sender
    from portal.tenancy import clinic_url

    context = {"signup": signup, "site_url": clinic_url(signup.clinic), "admin_url": clinic_url(signup.clinic, "/admin/")}
    queue_email(render_email("tenants/email/welcome", context, language=signup.language, to=[signup.email], from_email=sender("Clinic Portal")))


def add_interval(start, plan):
    """``start`` plus one billing period of ``plan`` (calendar months, clamped to month end)."""
    import calendar

    months = 12 if plan.interval == Plan.Interval.YEAR else 1
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def expire_stale_signups() -> int:
    """Scheduled job: unpaid or unconfirmed signups past their hold (``SIGNUP_HOLD_MINUTES``,
    30) give their subdomain back. A payment that still arrives is handled by
    record_signup_payment. Returns how many expired."""
    return Signup.objects.unpaid_past_hold().update(status=Signup.Status.EXPIRED)


SCHEDULES = [
    # (name, function, minutes between runs[, keyword arguments])
    ("Billing cycle: renewals, grace periods, cancellations", "billing.subscriptions.run_billing_cycle", 60),
    ("Expire unpaid signups", "tenants.services.expire_stale_signups", 1),
    ("Provision signups left paid without a clinic", "tenants.services.sweep_unprovisioned_signups", 1),
    ("Retry failed Stripe events", "billing.services.reprocess_failed", 1),  # due ones only, with backoff
    ("Release unpaid appointment holds", "clinic.tasks.in_every_clinic", 1, {"func_path": "clinic.actions.appointments.release_expired_holds"}),
    ("Appointment reminders (24 h before)", "clinic.tasks.in_every_clinic", 15, {"func_path": "clinic.emails.send_due_reminders"}),
    ("Send refunds that never reached Stripe", "clinic.tasks.in_every_clinic", 10, {"func_path": "clinic.refunds.retry_stuck_refunds"}),
    # Each clinic admin's summary of the day's notices, once a day from 07:00 clinic time.
    ("Daily notices summary for clinic admins", "clinic.tasks.in_every_clinic", 30, {"func_path": "clinic.notice_summary.send_daily_summaries"}),
    ("Write recurring expenses due", "clinic.tasks.in_every_clinic", 24 * 60, {"func_path": "clinic.actions.costs.generate_recurring_expenses"}),
    ("Send platform refunds that never reached Stripe", "billing.refunds.retry_pending_refunds", 10),
    ("Issue platform invoices and credit notes left missing", "billing.invoices.sweep_invoices", 10),
]


def ensure_schedules() -> None:
    """The platform's periodic jobs in django-q2's schedule table (idempotent)."""
    from django_q.models import Schedule

    for name, func, minutes, *kwargs in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1, "kwargs": repr(kwargs[0]) if kwargs else None},
        )
