"""Money rows beside the ledger (tenant schema): online payment attempts and refunds.

``PatientPayment`` (clinic.scheduling) is money received. These rows are what we
asked Stripe for: one ``PaymentAttempt`` per try at paying an appointment (the
claim that makes five "Pay" clicks one charge, billing.payments), and one ``Refund``
per refund, never an edit of the payment it returns money from.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PaymentAttempt(models.Model):
    """One try at paying an appointment online, with the Payment Intent it created.

    At most one live (pending or paid) attempt per appointment, enforced by the
    database; its intent id is stored before the intent is confirmed, and the
    webhook records only that intent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("paid")
        FAILED = "failed", _("failed")

    # Not money received (that is PatientPayment, protected): an attempt goes with its appointment.
    appointment = models.ForeignKey("clinic.Appointment", verbose_name=_("appointment"), on_delete=models.CASCADE, related_name="payment_attempts")
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
