"""Invoices (facturas) of a clinic to its patients (tenant schema).

An issued invoice is never edited or deleted (a database trigger refuses it, migration
clinic 0012): a mistake is corrected by a credit note (factura rectificativa) that
refers to it. Numbers run without gaps per series, in the order of issue; every record
is chained to the previous one by its fingerprint (portal.verifactu). The issuer's and
the patient's data are copied onto the invoice as they were when it was issued.
"""

from django.conf import settings
from django.db import models
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

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-generated_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["series", "number"], name="clinic_invoice_number_once")]


class InvoiceLine(InvoiceRecordLine):
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="lines")
    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tax_exemption = models.CharField(_("exemption"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["pk"]
