"""Issuing invoices and credit notes: numbered without gaps, chained, never edited.

Every issue takes the clinic's invoice lock (a PostgreSQL transaction-level advisory
lock keyed by the schema), then the series row, so numbers are handed out in the
order of issue and each record links to the one issued just before it. The lock is
held only for the few inserts of one invoice; a failure rolls the number back with
everything else, so no number is ever skipped.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.invoicing import record_now, take_number
from portal.tenancy import clinic_zone

from ..models import Appointment, Invoice, InvoiceLine, InvoiceSeries, InvoicingSettings, Patient
from .base import ActionError, ClinicAction

CENT = Decimal("0.01")
LIMIT = Decimal("99999999.99")  # far above any clinic bill; keeps totals inside the columns
LOCK_KEY = 1010  # the second half of the advisory lock's key; the first is the schema


@dataclass(frozen=True)
class Line:
    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal("1")
    tax_rate: Decimal = Decimal("0")
    tax_exemption: str = ""
    service_id: int | None = None

    @property
    def base(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)

    @property
    def tax(self) -> Decimal:
        return (self.base * self.tax_rate / 100).quantize(CENT, ROUND_HALF_UP)


def lines_for_appointment(appointment: Appointment) -> list[Line]:
    service = appointment.service
    when = timezone.localtime(appointment.start, clinic_zone())
    return [Line(description=f"{service.name} ({when:%d/%m/%Y})", unit_price=appointment.price, tax_rate=service.tax_rate,
                 tax_exemption=service.tax_exemption if not service.tax_rate else "", service_id=service.pk)]


class IssueInvoice(ClinicAction):
    """An invoice to ``patient`` with ``lines`` (from a completed appointment, or by hand)."""

    permission = "clinic.add_invoice"
    log_action = "clinic.invoice.issue"
    kind = Invoice.Kind.INVOICE

    def __init__(self, patient: Patient, *, lines: list[Line], appointment: Appointment | None = None, actor=None):
        super().__init__(actor=actor)
        self.patient, self.lines, self.appointment = patient, list(lines), appointment

    def check_lines(self):
        if not self.lines:
            raise ActionError(_("An invoice needs at least one line."))
        for line in self.lines:
            if not line.description.strip() or "\x00" in line.description:
                raise ActionError(_("Every line needs a description."))
            if line.quantity <= 0 or line.unit_price < 0 or line.unit_price > LIMIT or line.quantity > 1000:
                raise ActionError(_("Quantities must be positive and prices between 0 and 99,999,999.99."))
            if not (0 <= line.tax_rate <= 100):
                raise ActionError(_("The VAT rate must be between 0 and 100."))
        if sum(line.base + line.tax for line in self.lines) > LIMIT:
            raise ActionError(_("Quantities must be positive and prices between 0 and 99,999,999.99."))

    def perform(self) -> Invoice:
        issuer = InvoicingSettings.load()
        if not issuer.complete:
            raise ActionError(_("Fill in the clinic's invoicing details (legal name, tax ID, fiscal address) under Settings › Invoicing first."))
        self.check_lines()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()), %s)", [LOCK_KEY])
        if self.appointment is not None and self.kind == Invoice.Kind.INVOICE and self.appointment_invoiced():
            raise ActionError(_("This appointment already has an invoice."))
        return self.write(issuer)

    def appointment_invoiced(self) -> bool:
        issued = Invoice.objects.filter(appointment=self.appointment, kind=Invoice.Kind.INVOICE)
        return issued.exclude(corrections__isnull=False).exists()

    def series_code(self, issuer, year) -> str:
        prefix = issuer.credit_prefix if self.kind == Invoice.Kind.CREDIT else issuer.invoice_prefix
        return f"{prefix}{year}"

    def issue_time(self):
        """When the record is issued: now, on the clinic's wall clock. The demo's year of
        activity (tenants.demo_activity) issues last year's invoices in date order through
        a subclass that returns their day instead, on a clinic with no invoice yet, so
        numbers and chain stay in issue order."""
        return record_now(clinic_zone())

    def write(self, issuer, **extra) -> Invoice:
        now = self.issue_time()
        code = self.series_code(issuer, now.year)
        base = sum((line.base for line in self.lines), Decimal("0"))
        tax = sum((line.tax for line in self.lines), Decimal("0"))
        invoice = Invoice(
            kind=self.kind, series=code, number=take_number(InvoiceSeries, code),
            issuer_name=issuer.legal_name.strip(), issuer_tax_id=issuer.tax_id.strip().upper(), issuer_address=issuer.address.strip(),
            patient=self.patient, recipient_name=str(self.patient), recipient_tax_id=self.patient.national_id, appointment=self.appointment,
            currency=connection.tenant.currency, base=base, tax=tax, total=base + tax, issued_by=self.log_user, **extra,
        )
        invoice.seal(now=now, previous=Invoice.last_fingerprint())
        invoice.save()
        InvoiceLine.objects.bulk_create(InvoiceLine(
            invoice=invoice, service_id=line.service_id, description=line.description.strip()[:200], quantity=line.quantity, unit_price=line.unit_price,
            tax_rate=line.tax_rate, tax_exemption=line.tax_exemption[:200], base=line.base, tax=line.tax) for line in self.lines)
        return invoice

    def log_data(self, instance):
        return {"number": instance.full_number, "patient": instance.patient_id, "total": str(instance.total), "currency": instance.currency,
                "fingerprint": instance.fingerprint, "corrects": instance.corrects.full_number if instance.corrects_id else ""}


class IssueCreditNote(IssueInvoice):
    """A credit note (factura rectificativa) cancelling ``invoice`` in full: its lines with
    the opposite sign, referring to it, with the reason. The invoice itself never changes."""

    log_action = "clinic.invoice.credit"
    kind = Invoice.Kind.CREDIT

    def __init__(self, invoice: Invoice, *, reason: str, actor=None):
        lines = [Line(description=line.description, unit_price=-line.unit_price, quantity=line.quantity, tax_rate=line.tax_rate,
                      tax_exemption=line.tax_exemption, service_id=line.service_id) for line in invoice.lines.all()]
        super().__init__(invoice.patient, lines=lines, appointment=invoice.appointment, actor=actor)
        self.invoice, self.reason = invoice, (reason or "").replace("\x00", "").strip()[:200]

    def check_lines(self):
        if not self.reason:
            raise ActionError(_("Say why the invoice is corrected."))
        if self.invoice.kind != Invoice.Kind.INVOICE:
            raise ActionError(_("Only an invoice can be corrected by a credit note."))

    def write(self, issuer, **extra):
        if Invoice.objects.filter(corrects=self.invoice).exists():
            raise ActionError(_("This invoice already has a credit note."))
        return super().write(issuer, corrects=self.invoice, correction_reason=self.reason)


def verify_chain():
    """Breaks in the current clinic's invoice chain, in issue order (portal.verifactu.verify)."""
    return Invoice.verify_chain()
