"""Invoices (facturas) of a clinic to its patients (tenant schema).

An issued invoice is never edited or deleted (a database trigger refuses it, migration
clinic 0012): a mistake is corrected by a credit note (factura rectificativa) that
refers to it. Numbers run without gaps per series, in the order of issue; every record
is chained to the previous one by its fingerprint (portal.verifactu). The issuer's and
the patient's data are copied onto the invoice as they were when it was issued.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, DecimalField, Exists, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from portal.invoicing import InvoiceRecord, InvoiceRecordLine, InvoiceSeriesRecord


@register_setting(icon="doc-full")
class InvoicingSettings(BaseGenericSetting):
    """Who issues the clinic's invoices (printed on each one, and its ID starts the chain)."""

    legal_name = models.CharField(_("legal name"), max_length=160, blank=True)
    tax_id = models.CharField(_("tax ID (NIF)"), max_length=20, blank=True)
    address = models.TextField(_("fiscal address"), blank=True)
    invoice_prefix = models.CharField(_("invoice series prefix"), max_length=6, default="F", help_text=_("The year is added: F2026-000001."))
    credit_prefix = models.CharField(_("credit note series prefix"), max_length=6, default="R")

    panels = [FieldPanel("legal_name"), FieldPanel("tax_id"), FieldPanel("address"), FieldPanel("invoice_prefix"), FieldPanel("credit_prefix")]

    class Meta:
        verbose_name = _("invoicing")

    @property
    def complete(self) -> bool:
        return bool(self.legal_name.strip() and self.tax_id.strip() and self.address.strip())


class InvoiceSeries(InvoiceSeriesRecord):
    class Meta:
        verbose_name = _("invoice series")
        verbose_name_plural = _("invoice series")


ZERO = Decimal("0.00")


MONEY = DecimalField(max_digits=12, decimal_places=2)


def _sum_per_invoice(queryset, expression):
    """A correlated subquery: the sum of ``expression`` over ``queryset``'s rows (filtered
    on the outer invoice by the caller), 0 when none. A subquery, not a join, so credit
    notes and payments never multiply each other's rows. (SUM as a plain function: an
    aggregate would make Django group by a column.)"""
    summed = queryset.order_by().values(summed=Func(expression, function="SUM", output_field=MONEY))
    return Coalesce(Subquery(summed, output_field=MONEY), Value(ZERO))


def paying_invoice(invoice, appointment):
    """The payments that pay an invoice: those recorded against it, and those against its
    appointment that name no invoice (a deposit paid online when booking, a payment the
    desk took from the agenda), which would otherwise be asked for a second time."""
    return Q(invoice=invoice) | Q(invoice__isnull=True, appointment__isnull=False, appointment=appointment)


class InvoiceQuerySet(models.QuerySet):
    def with_outstanding(self):
        """Each invoice with ``credited`` (its credit notes' totals, negative), ``paid``
        (the payments that pay it, :func:`paying_invoice`, less their refunds), ``outstanding`` (total + credited −
        paid; 0 or less means paid; always 0 on a credit note) and ``paying`` (an online
        payment under way: a pending attempt that has its Payment Intent)."""
        from .ledger import PatientPayment, PaymentAttempt

        credited = _sum_per_invoice(Invoice.objects.filter(kind=Invoice.Kind.CREDIT, corrects=OuterRef("pk")), F("total"))
        paid = _sum_per_invoice(PatientPayment.objects.filter(paying_invoice(OuterRef("pk"), OuterRef("appointment"))), F("amount") - F("refunded_amount"))
        paying = Exists(PaymentAttempt.objects.filter(invoice=OuterRef("pk"), status=PaymentAttempt.Status.PENDING, stripe_payment_intent__isnull=False))
        owed = Case(When(kind=Invoice.Kind.INVOICE, then=F("total") + F("credited") - F("paid")), default=Value(ZERO))
        return self.annotate(credited=credited, paid=paid, paying=paying).annotate(outstanding=owed)

    def payable(self):
        """Invoices (not credit notes) with something outstanding: what a patient may pay
        online and the desk may record a payment against."""
        return self.with_outstanding().filter(kind=Invoice.Kind.INVOICE, outstanding__gt=0)


class Invoice(InvoiceRecord):
    """An invoice or credit note of the clinic to a patient (the shared fields, number,
    chain and PDF data come from portal.invoicing.InvoiceRecord)."""

    class Kind(models.TextChoices):
        INVOICE = "F1", _("invoice")
        CREDIT = "R1", _("credit note")

    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices, default=Kind.INVOICE)
    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="invoices")
    appointment = models.ForeignKey("clinic.Appointment", verbose_name=_("appointment"), null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    corrects = models.ForeignKey("self", verbose_name=_("corrects"), null=True, blank=True, on_delete=models.PROTECT, related_name="corrections")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, on_delete=models.PROTECT, related_name="+")
    # An invoice of a treatment plan's instalment (its share of the accepted estimate).
    instalment = models.ForeignKey("clinic.EstimateInstalment", verbose_name=_("plan instalment"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="invoices")

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-generated_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["series", "number"], name="clinic_invoice_number_once")]

    def outstanding_amount(self) -> Decimal:
        """What is still to pay on this invoice now (one query; see ``with_outstanding``)."""
        if self.kind != Invoice.Kind.INVOICE:
            return ZERO
        return Invoice.objects.with_outstanding().filter(pk=self.pk).values_list("outstanding", flat=True).get()

    @property
    def is_invoice(self) -> bool:
        """An invoice, not a credit note: the kind that is paid."""
        return self.kind == Invoice.Kind.INVOICE

    @property
    def is_paid(self) -> bool:
        """Only on rows from ``with_outstanding()``: an invoice with nothing left to pay."""
        return self.is_invoice and self.outstanding <= 0


class InvoiceLine(InvoiceRecordLine):
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="lines")
    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tax_exemption = models.CharField(_("exemption"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["pk"]
