"""Money rows beside the ledger (tenant schema): online payment attempts and refunds.

``PatientPayment`` is money received, against an appointment, an invoice or neither.
The other rows are what we asked Stripe for: one ``PaymentAttempt`` per try at paying
an appointment or an invoice online (the claim that makes five "Pay" clicks one
charge, billing.payments and clinic.payments), and one ``Refund`` per refund, never
an edit of the payment it returns money from.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PatientPayment(models.Model):
    """The clinic's ledger: money received from a patient, online or at the desk.

    An online payment is recorded by the Stripe webhook, exactly once per Payment
    Intent (unique). Each refund is its own ``Refund`` row (below);
    ``refunded_amount`` is the sum of the succeeded ones, written only by
    clinic.refunds. Nothing is deleted.
    """

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    class Method(models.TextChoices):
        ONLINE = "online", _("card, online")
        CARD = "card", _("card, at the clinic")
        CASH = "cash", _("cash")
        TRANSFER = "transfer", _("bank transfer")
        # A finance company pays the clinic for the patient (the patient repays the company).
        FINANCING = "financing", _("financing")

    appointment = models.ForeignKey("clinic.Appointment", verbose_name=_("appointment"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey("clinic.Invoice", verbose_name=_("invoice"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    stripe_payment_intent = models.CharField(_("Stripe payment"), max_length=255, unique=True, null=True, blank=True)
    refunded_amount = models.DecimalField(_("refunded"), max_digits=10, decimal_places=2, default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    # A payment toward a treatment plan: the instalment of its accepted estimate it pays.
    instalment = models.ForeignKey("clinic.EstimateInstalment", verbose_name=_("plan instalment"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="payments")

    class Meta:
        verbose_name = _("patient payment")
        verbose_name_plural = _("patient payments")
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clinic_patientpayment_amount_positive"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")), name="clinic_patientpayment_refund_within_amount"),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} · {self.patient}"

    @property
    def receipt_number(self) -> str:
        return f"R-{self.received_at:%Y}-{self.pk:06d}"

    @property
    def invoice_number(self) -> str:
        """The number of the invoice this pays ("" for none): a column of the CSV export."""
        return self.invoice.full_number if self.invoice_id else ""


class PaymentAttempt(models.Model):
    """One try at paying something online (an appointment, an invoice or a plan's
    instalment: exactly one of them), with the Payment Intent it created.

    At most one live attempt per thing to pay, enforced by the database; its intent id
    is stored before the intent is confirmed, and the webhook records only that
    intent. For an appointment, live is pending or paid (it is paid once). For an
    invoice, live is pending only: once the webhook has recorded a payment, what is
    still outstanding (after a refund, say) can be paid again with a new attempt, and
    the invoice's row lock plus its outstanding amount keep that to one charge.
    An instalment is like an invoice (live is pending only). A new target adds its own
    nullable foreign key, its place in ``clinic_paymentattempt_one_target`` and its own
    "one live" constraint.
    """

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("paid")
        FAILED = "failed", _("failed")

    # Not money received (that is PatientPayment, protected): an attempt goes with its appointment.
    appointment = models.ForeignKey("clinic.Appointment", verbose_name=_("appointment"), null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="payment_attempts")
    # An issued invoice is never deleted (database trigger), so PROTECT only documents it.
    invoice = models.ForeignKey("clinic.Invoice", verbose_name=_("invoice"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="payment_attempts")
    # A treatment plan's instalment (clinic.models.plans): never deleted either (trigger).
    instalment = models.ForeignKey("clinic.EstimateInstalment", verbose_name=_("plan instalment"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="payment_attempts")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_payment_intent = models.CharField(_("Stripe payment"), max_length=255, unique=True, null=True, blank=True)
    failure_message = models.TextField(_("failure"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)

    class Meta:
        verbose_name = _("online payment attempt")
        verbose_name_plural = _("online payment attempts")
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["appointment"], condition=Q(status__in=["pending", "succeeded"]), name="clinic_one_live_payment_attempt"),
            models.UniqueConstraint(fields=["invoice"], condition=Q(status="pending"), name="clinic_one_live_invoice_payment_attempt"),
            models.UniqueConstraint(fields=["instalment"], condition=Q(status="pending"), name="clinic_one_live_instalment_payment_attempt"),
            models.CheckConstraint(
                condition=Q(appointment__isnull=False, invoice__isnull=True, instalment__isnull=True)
                | Q(appointment__isnull=True, invoice__isnull=False, instalment__isnull=True)
                | Q(appointment__isnull=True, invoice__isnull=True, instalment__isnull=False),
                name="clinic_paymentattempt_one_target",
            ),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} · {self.get_status_display()}"


class Refund(models.Model):
    """Money given back on an online payment: its own row, with who, why and when.

    Written pending inside the business transaction (a cancellation); Stripe is called
    after commit with the idempotency key ``refund-<schema>-<pk>`` (clinic.refunds).
    A success adds to the payment's ``refunded_amount`` (only the refund code writes
    it); a failure leaves the row failed, with Stripe's message, for staff to see.
    """

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("refunded")
        FAILED = "failed", _("failed")

    payment = models.ForeignKey("clinic.PatientPayment", verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_refund = models.CharField(_("Stripe refund"), max_length=255, unique=True, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Empty when the system refunded on its own."),
    )
    failure_message = models.TextField(_("failure"), blank=True)
    created = models.DateTimeField(_("requested"), default=timezone.now)
    attempted_at = models.DateTimeField(_("sent to Stripe"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="clinic_refund_amount_positive")]

    def __str__(self):
        return f"{self.amount} {self.currency} · {self.get_status_display()}"


class CashClose(models.Model):
    """The day's close of one payment method at the clinic: what the ledger expects (desk
    payments of that day less the refunds done that day), what was counted, the
    difference, who closed it. One per day and method; never changed afterwards."""

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    day = models.DateField(_("day"))
    method = models.CharField(_("method"), max_length=10, choices=PatientPayment.Method.choices)
    expected = models.DecimalField(_("expected"), max_digits=12, decimal_places=2)
    counted = models.DecimalField(_("counted"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    difference = models.DecimalField(_("difference"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    note = models.CharField(_("note"), max_length=255, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"), on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed"), default=timezone.now)

    class Meta:
        verbose_name = _("cash close")
        verbose_name_plural = _("cash closes")
        ordering = ["-day", "method"]
        constraints = [
            models.UniqueConstraint(fields=["day", "method"], name="clinic_cashclose_once_per_day_and_method"),
            models.CheckConstraint(condition=Q(difference=F("counted") - F("expected")), name="clinic_cashclose_difference"),
        ]

    def __str__(self):
        return f"{self.day} · {self.get_method_display()}"
