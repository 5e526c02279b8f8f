"""Platform billing rows (public schema): Stripe events, clinic payments, subscriptions,
refunds, and the platform's invoices to clinics."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.invoicing import InvoiceRecord, InvoiceRecordLine, InvoiceSeriesRecord


class StripeEvent(models.Model):
    """Every webhook delivery we accepted, stored once by Stripe's event id.

    The row is written before any processing, so a crash loses nothing; processing
    records ``processed_at`` or the error. A failure is retried with backoff
    (``RETRY_MINUTES``) up to ``MAX_ATTEMPTS`` times, then stays ``failed`` for an
    operator (admin action or ``manage.py reprocess_stripe_events``). An event about a
    Payment Intent that is not the one we stored for its object is ``ignored``: it
    records nothing and stays visible with the reason in ``error``.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        RETRYING = "retrying", _("failed, will retry")
        FAILED = "failed", _("failed, needs an operator")
        IGNORED = "ignored", _("ignored: not our payment")

    MAX_ATTEMPTS = 5
    RETRY_MINUTES = (1, 5, 25, 125)  # after the 1st, 2nd, 3rd and 4th failure

    id = models.CharField(_("event id"), max_length=255, primary_key=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.id}"

    @property
    def data_object(self) -> dict:
        return self.payload.get("data", {}).get("object", {})

    def retry_delay(self):
        """How long to wait after this many failed attempts; None once the cap is reached."""
        from datetime import timedelta

        if self.attempts >= self.MAX_ATTEMPTS:
            return None
        return timedelta(minutes=self.RETRY_MINUTES[min(self.attempts, len(self.RETRY_MINUTES)) - 1])


class Subscription(models.Model):
    """How a clinic pays the platform: its Stripe customer, saved card and renewal state."""

    clinic = models.OneToOneField("tenants.Clinic", verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="subscription")
    plan = models.ForeignKey("tenants.Plan", verbose_name=_("plan"), on_delete=models.PROTECT)
    stripe_customer = models.CharField(_("Stripe customer"), max_length=255, blank=True)
    payment_method = models.CharField(_("saved card"), max_length=255, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancel at period end"), default=False)
    past_due_since = models.DateTimeField(_("past due since"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    card_reminder_sent_at = models.DateTimeField(_("asked for a card"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self):
        return f"{self.clinic} · {self.plan}"


class Payment(models.Model):
    """One charge of a clinic's subscription (first period or a renewal).

    ``period_end`` with the clinic is unique: a renewal job that runs twice finds the
    row and never charges the same period twice.
    """

    class Kind(models.TextChoices):
        FIRST_PERIOD = "first_period", _("first period")
        RENEWAL = "renewal", _("renewal")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("paid")
        FAILED = "failed", _("failed")

    clinic = models.ForeignKey("tenants.Clinic", verbose_name=_("clinic"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    signup = models.ForeignKey("tenants.Signup", verbose_name=_("signup"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    stripe_payment_intent = models.CharField(_("Stripe payment"), max_length=255, unique=True, null=True, blank=True)
    failure_message = models.TextField(_("failure"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    # When a request last took charge of this payment (claimed it to talk to Stripe):
    # a claim older than a minute with no intent id is taken over and retried with the
    # same idempotency key (billing.payments).
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="billing_payment_amount_not_negative"),
            models.UniqueConstraint(fields=["clinic", "period_end"], condition=models.Q(kind="renewal"), name="billing_one_renewal_per_period"),
            # One live (pending or paid) first-period payment per signup: five "Pay" clicks
            # at once make one row, hence one Payment Intent (issue 8, item 1).
            models.UniqueConstraint(
                fields=["signup"], condition=models.Q(kind="first_period", status__in=["pending", "succeeded"]), name="billing_one_live_first_payment_per_signup"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.get_status_display()})"


class PlatformRefund(models.Model):
    """Money the platform gives back on one of its own payments (public schema).

    Today: the first payment of a signup that expired before its payment event arrived,
    when its address was taken meanwhile (tenants.services.record_signup_payment, issue 8
    item 4). The same shape as the clinics' ``clinic.Refund``: written pending in the
    transaction that decides it; Stripe is called after commit, in its own job, with the
    idempotency key ``refund-public-payment-<pk>`` (billing.refunds). Stripe unreachable
    leaves it pending for the sweep; a refusal leaves it failed, with Stripe's message,
    for an operator (admin: *Platform refunds*, action *Send again*). The database keeps
    one pending or succeeded refund per payment, so a redelivered event never refunds
    twice. ``requested_by`` is empty when the system refunded on its own.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("refunded")
        FAILED = "failed", _("failed")

    # Stripe unreachable this many times in a row: failed, for an operator.
    MAX_ATTEMPTS = 5

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    stripe_refund = models.CharField(_("Stripe refund"), max_length=255, unique=True, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Empty when the system refunded on its own."),
    )
    failure_message = models.TextField(_("failure"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created = models.DateTimeField(_("requested"), default=timezone.now)
    attempted_at = models.DateTimeField(_("sent to Stripe"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # The e-mail to the person refunded, queued once in the transaction that marks the
    # refund succeeded.
    notified_at = models.DateTimeField(_("e-mail queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("platform refund")
        verbose_name_plural = _("platform refunds")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_platformrefund_amount_positive"),
            models.UniqueConstraint(
                fields=["payment"], condition=models.Q(status__in=["pending", "succeeded"]), name="billing_one_live_refund_per_payment"
            ),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} · {self.get_status_display()}"


class PlatformInvoiceSeries(InvoiceSeriesRecord):
    """A numbering series of the platform's invoices ("P2026")."""

    class Meta:
        verbose_name = _("platform invoice series")
        verbose_name_plural = _("platform invoice series")


class PlatformInvoice(InvoiceRecord):
    """The platform's invoice to a clinic for one subscription payment, or the credit note
    (factura rectificativa) of a refund of it (billing.invoices).

    Issued by the platform (``PLATFORM_*`` settings) to the clinic's legal data as it was
    then (the signup's, for a first period paid before the clinic existed); VAT included
    in the price at ``PLATFORM_VAT_RATE``. Like a clinic's invoices: numbers without gaps
    per series in the order of issue, one VERI*FACTU chain for the platform, never changed
    or deleted (a trigger refuses it, migration billing 0005). The database keeps one
    invoice per payment and one credit note per refund, so a redelivered event or a rerun
    job never issues twice. A record without the recipient's tax ID is a simplified
    invoice (F2, corrected by R5), as Spanish rules have it.
    """

    class Kind(models.TextChoices):
        INVOICE = "F1", _("invoice")
        SIMPLIFIED = "F2", _("simplified invoice")
        CREDIT = "R1", _("credit note")
        SIMPLIFIED_CREDIT = "R5", _("credit note (simplified)")

    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices, default=Kind.INVOICE)
    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="invoices")
    refund = models.OneToOneField(PlatformRefund, verbose_name=_("refund"), null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note")
    recipient_address = models.CharField(_("recipient address"), max_length=300, blank=True)
    corrects = models.ForeignKey("self", verbose_name=_("corrects"), null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")

    class Meta:
        verbose_name = _("platform invoice")
        verbose_name_plural = _("platform invoices")
        ordering = ["-generated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="billing_platforminvoice_number_once"),
            # One invoice per payment (its credit notes refer to the same payment).
            models.UniqueConstraint(fields=["payment"], condition=models.Q(corrects__isnull=True), name="billing_one_invoice_per_payment"),
        ]

    @property
    def is_credit(self) -> bool:
        return self.corrects_id is not None


class PlatformInvoiceLine(InvoiceRecordLine):
    invoice = models.ForeignKey(PlatformInvoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="lines")

    class Meta:
        verbose_name = _("platform invoice line")
        verbose_name_plural = _("platform invoice lines")
        ordering = ["pk"]
