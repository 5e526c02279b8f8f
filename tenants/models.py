"""Platform rows in the public schema: plans, clinics (one schema each) and their domains."""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from portal.tenancy import assert_template_current, clone_schema, schema_exists, template_schema

from .validators import validate_clinic_slug, validate_time_zone


class Currency(models.TextChoices):
    EUR = "EUR", "EUR €"
    USD = "USD", "USD $"
    MXN = "MXN", "MXN $"
    COP = "COP", "COP $"
    ARS = "ARS", "ARS $"
    CLP = "CLP", "CLP $"
    PEN = "PEN", "PEN S/"


class Plan(models.Model):
    """What a clinic pays for: price per interval, trial and limits."""

    class Interval(models.TextChoices):
        MONTH = "month", _("monthly")
        YEAR = "year", _("yearly")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    interval = models.CharField(_("billing interval"), max_length=8, choices=Interval.choices, default=Interval.MONTH)
    trial_days = models.PositiveSmallIntegerField(_("trial days"), default=0)
    max_practitioners = models.PositiveSmallIntegerField(_("maximum practitioners"), null=True, blank=True, help_text=_("Empty means no limit."))
    max_staff_users = models.PositiveSmallIntegerField(_("maximum staff users"), null=True, blank=True, help_text=_("Empty means no limit."))
    is_active = models.BooleanField(_("offered"), default=True, help_text=_("Shown on the pricing page and open for signup."))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["sort_order", "price"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="plan_price_not_negative"),
        ]

    def __str__(self):
        return self.name


class ClinicQuerySet(models.QuerySet):
    def clinics(self):
        """Real clinics: not the platform's own row, not the clone template."""
        return self.filter(kind=Clinic.Kind.CLINIC)


class PracticeType(models.TextChoices):
    """What a clinic does: its starter catalogue and website text fit it (clinic.defaults)."""

    DENTAL = "dental", _("dental clinic")
    MEDICAL = "medical", _("medical practice")
    PHYSIOTHERAPY = "physiotherapy", _("physiotherapy")
    PSYCHOLOGY = "psychology", _("psychology")
    OTHER = "other", _("other")


class Clinic(TenantMixin):
    """A clinic and its PostgreSQL schema. Also the platform row (``public``) and the
    clone template, which django-tenants needs as tenant rows; ``kind`` tells them apart."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", _("platform")
        TEMPLATE = "template", _("clone template")
        CLINIC = "clinic", _("clinic")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAST_DUE = "past_due", _("past due")
        SUSPENDED = "suspended", _("suspended")
        CANCELLED = "cancelled", _("cancelled")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=30, unique=True, validators=[validate_clinic_slug])
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CLINIC)
    practice_type = models.CharField(_("kind of practice"), max_length=16, choices=PracticeType.choices, default=PracticeType.OTHER)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), null=True, blank=True, on_delete=models.PROTECT, related_name="clinics")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Madrid", validators=[validate_time_zone])
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    paid_until = models.DateTimeField(_("paid until"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    document_limit_mb = models.PositiveSmallIntegerField(
        _("largest patient document (MB)"), default=20, validators=[MinValueValidator(1)],
        help_text=_("Uploads to patient records above this size are refused."),
    )
    # Who the platform invoices for the plan (billing.PlatformInvoice): from the signup form,
    # then the clinic's own "Plan and billing" page. Empty until given.
    legal_name = models.CharField(_("legal name"), max_length=160, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=20, blank=True)
    fiscal_address = models.CharField(_("fiscal address"), max_length=300, blank=True)

    auto_create_schema = True
    auto_drop_schema = False  # nothing is deleted (DESIGN.md)

    objects = ClinicQuerySet.as_manager()

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @staticmethod
    def schema_for_slug(slug: str) -> str:
        return "clinic_" + slug.replace("-", "_")

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        base = self.get_base_schema() if self.kind == self.Kind.CLINIC else False
        if not (sync_schema and base and schema_exists(base)):
            return super().create_schema(check_if_exists=check_if_exists, sync_schema=sync_schema, verbosity=verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        # Cloning copies the template's tables and rows, its django_migrations included.
        # A lagging template would give this clinic tables without the columns its code
        # expects (STACK-NOTES "clone template"), so it is refused; a current one needs
        # no "fake" migrate afterwards (django-tenants runs one: 0.4 s of the 1.1 s).
        assert_template_current(base)
        clone_schema(source=base, target=self.schema_name, mode=self.clone_mode)
        return True

    def get_base_schema(self):
        return False if self.schema_name == template_schema() else super().get_base_schema()

    @property
    def country(self) -> str:
        """The clinic's country (ISO code): its signup's, else the country whose time zone it
        keeps (clinics made by hand); "" when neither says."""
        from .forms import COUNTRIES

        signed_up = Signup.objects.filter(clinic=self).values_list("country", flat=True).first()
        return signed_up or next((code for code, (_name, zone, _currency) in COUNTRIES.items() if zone == self.time_zone), "")

    @property
    def primary_host(self) -> str:
        domain = self.get_primary_domain()
        return domain.domain if domain else f"{self.slug}.{settings.PLATFORM_HOST}"


class Domain(DomainMixin):
    """A host name that routes to a clinic: ``<slug>.<platform>`` or the clinic's own domain."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self):
        return self.domain


class SignupQuerySet(models.QuerySet):
    def open(self):
        """Signups still holding their subdomain: paid ones (live soon, or failed and kept
        for an operator) for good, unpaid ones only for the hold time (issue 8)."""
        return self.filter(
            models.Q(status__in=Signup.PAID_STATUSES) | models.Q(status__in=Signup.UNPAID_STATUSES, created__gte=Signup.hold_cutoff())
        )

    def unpaid_past_hold(self):
        """Unpaid signups whose hold has run out: the expiry job gives their address back."""
        return self.filter(status__in=Signup.UNPAID_STATUSES, created__lt=Signup.hold_cutoff())

    def open_unpaid(self):
        """Unpaid signups still within their hold (what one e-mail or IP may hold a few of)."""
        return self.filter(status__in=Signup.UNPAID_STATUSES, created__gte=Signup.hold_cutoff())


class Signup(models.Model):
    """A clinic asking to join: the form's answers, then payment, then provisioning.

    pending payment → paid → live, or failed (the error is kept; the sweep retries a
    few times, then an operator). A trial plan skips the payment but waits for its owner
    to confirm the e-mail address: pending e-mail → paid → live. Unpaid signups hold
    their address for ``SIGNUP_HOLD_MINUTES`` and then expire. The ``id`` is a UUID so
    the status page URL cannot be guessed.
    """

    class Status(models.TextChoices):
        PENDING_EMAIL = "pending_email", _("waiting for e-mail confirmation")
        PENDING_PAYMENT = "pending_payment", _("pending payment")
        PAID = "paid", _("paid, creating the site")
        LIVE = "live", _("live")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    UNPAID_STATUSES = (Status.PENDING_EMAIL, Status.PENDING_PAYMENT)
    PAID_STATUSES = (Status.PAID, Status.FAILED)
    # Statuses the database keeps to one signup per address (the partial unique index).
    OPEN_STATUSES = (*UNPAID_STATUSES, *PAID_STATUSES)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic_name = models.CharField(_("clinic name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=30, validators=[validate_clinic_slug])
    contact_name = models.CharField(_("contact name"), max_length=120)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32)
    country = models.CharField(_("country"), max_length=2)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    practice_type = models.CharField(_("kind of practice"), max_length=16, choices=PracticeType.choices, default=PracticeType.DENTAL)
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="signups")
    language = models.CharField(_("language"), max_length=8, default="es")
    accepted_terms_at = models.DateTimeField(_("terms accepted"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT)
    stripe_customer = models.CharField(_("Stripe customer"), max_length=255, blank=True)
    payment_method = models.CharField(_("saved card"), max_length=255, blank=True)
    clinic = models.OneToOneField(Clinic, verbose_name=_("clinic"), null=True, blank=True, on_delete=models.PROTECT, related_name="signup")
    error = models.TextField(_("error"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    live_at = models.DateTimeField(_("live"), null=True, blank=True)
    # Provisioning progress: each step is checked before it runs again (a crashed job,
    # the sweep and an operator's retry all resume where the last run stopped).
    provisioning_attempts = models.PositiveSmallIntegerField(_("provisioning attempts"), default=0)
    provisioning_started_at = models.DateTimeField(_("last provisioning attempt"), null=True, blank=True)
    # Optional on the form: the clinic's legal data, copied to the clinic when it is created.
    legal_name = models.CharField(_("legal name"), max_length=160, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=20, blank=True)
    fiscal_address = models.CharField(_("fiscal address"), max_length=300, blank=True)
    admin_invited_at = models.DateTimeField(_("set-password e-mail queued"), null=True, blank=True)
    welcome_sent_at = models.DateTimeField(_("welcome e-mail queued"), null=True, blank=True)

    objects = SignupQuerySet.as_manager()

    class Meta:
        verbose_name = _("signup")
        verbose_name_plural = _("signups")
        ordering = ["-created"]
        constraints = [
            # Two signups racing for one subdomain: the database lets one through.
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(status__in=["pending_email", "pending_payment", "paid", "failed"]),
                name="tenants_signup_open_slug_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "created"], name="tenants_signup_status_created")]

    def __str__(self):
        return f"{self.clinic_name} ({self.slug})"

    @staticmethod
    def hold_cutoff():
        """Unpaid signups created before this no longer hold their address."""
        from .conf import tenants_settings

        return timezone.now() - timedelta(minutes=tenants_settings.signup_hold_minutes)

    @property
    def hold_ends(self):
        from .conf import tenants_settings

        return self.created + timedelta(minutes=tenants_settings.signup_hold_minutes)

    @property
    def currency(self) -> str:
        return self.plan.currency

    @property
    def amount_due(self):
        """What the first period costs: nothing on a trial plan."""
        return Decimal("0") if self.plan.trial_days else self.plan.price
