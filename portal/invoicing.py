"""What every invoice record shares, whoever issues it: a clinic to its patients
(clinic.Invoice, in the clinic's schema) or the platform to a clinic for its plan
(billing.PlatformInvoice, public schema).

Abstract models (no table of their own: each issuer keeps its own tables, triggers and
series) and the steps of issuing that do not depend on who issues: the next number of a
series, the record's time, its place in the chain (portal.verifactu), the check of a
whole chain and the PDF's data. Imports none of the apps.
"""

from datetime import datetime
from decimal import Decimal

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import verifactu


class InvoiceSeriesRecord(models.Model):
    """A numbering series ("F2026", "P2026"): the next number to give, taken under a lock
    (:func:`take_number`). Each issuer has its own table."""

    code = models.CharField(_("series"), max_length=12, unique=True)
    next_number = models.PositiveIntegerField(_("next number"), default=1)

    class Meta:
        abstract = True

    def __str__(self):
        return self.code


def take_number(series_model, code: str) -> int:
    """The next number of series ``code`` in ``series_model``'s table, moved on by one in the
    same statement (the row stays locked until the transaction ends, and a rollback gives the
    number back, so none is skipped). The caller holds its issuer's lock, which also covers
    the first number of a new series (the row is created here)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(series_model._meta.db_table)} SET next_number = next_number + 1 WHERE code = %s RETURNING next_number - 1",
            [code],
        )
        row = cursor.fetchone()
    if row is None:
        series_model.objects.create(code=code, next_number=2)
        return 1
    return row[0]


def record_now(zone) -> datetime:
    """Now on the issuer's wall clock, to the second (the record's time, as its fingerprint holds it)."""
    return timezone.localtime(timezone.now(), zone).replace(microsecond=0)


class InvoiceRecord(models.Model):
    """One record of an issuer's chain: an invoice or a credit note, frozen once written.

    The concrete model adds ``kind`` (its own choices), the recipient's links, ``corrects``
    and its constraints; a database trigger of its own refuses UPDATE and DELETE.
    """

    # Fiscal records, not content: Wagtail's reference index cost 12 of 32 ms an invoice, under the lock.
    wagtail_reference_index_ignore = True

    series = models.CharField(_("series"), max_length=12)
    number = models.PositiveIntegerField(_("number"))
    issue_date = models.DateField(_("issue date"))
    generated_at = models.DateTimeField(_("recorded"))
    # The record's time exactly as its fingerprint holds it (ISO 8601 with the issuer's offset).
    record_time = models.CharField(_("record time"), max_length=32)
    issuer_name = models.CharField(_("issuer"), max_length=160)
    issuer_tax_id = models.CharField(_("issuer tax ID"), max_length=20)
    issuer_address = models.TextField(_("issuer address"))
    recipient_name = models.CharField(_("recipient"), max_length=200)
    recipient_tax_id = models.CharField(_("recipient tax ID"), max_length=32, blank=True)
    correction_reason = models.CharField(_("reason for the correction"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    base = models.DecimalField(_("taxable base"), max_digits=12, decimal_places=2)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    previous_fingerprint = models.CharField(_("previous record's fingerprint"), max_length=64, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.full_number

    @property
    def full_number(self) -> str:
        return f"{self.series}-{self.number:06d}"

    def record_fields(self) -> verifactu.RecordFields:
        return verifactu.RecordFields(
            issuer_tax_id=self.issuer_tax_id, number=self.full_number, issue_date=self.issue_date, kind=self.kind, tax=self.tax,
            total=self.total, previous=self.previous_fingerprint, generated_at=datetime.fromisoformat(self.record_time),
        )

    def seal(self, *, now: datetime, previous: str) -> None:
        """Date the record ``now`` and chain it after ``previous`` (the fingerprint of the
        record issued just before, "" for the first). Its number, kind, issuer and totals
        must be set; nothing is saved."""
        self.issue_date, self.generated_at, self.record_time = now.date(), now, now.isoformat(timespec="seconds")
        self.previous_fingerprint = previous
        self.fingerprint = verifactu.fingerprint(self.record_fields())

    @classmethod
    def last_fingerprint(cls) -> str:
        """The fingerprint the next record links to (call it under the issuer's lock)."""
        return cls.objects.order_by("-pk").values_list("fingerprint", flat=True).first() or ""

    @classmethod
    def verify_chain(cls) -> list[verifactu.Break]:
        """Every break in this table's chain, in issue order (portal.verifactu.verify)."""
        return verifactu.verify((record.full_number, record.record_fields(), record.fingerprint) for record in cls.objects.order_by("pk").iterator())

    def qr_url(self) -> str:
        return verifactu.qr_url(issuer_tax_id=self.issuer_tax_id, number=self.full_number, issue_date=self.issue_date, total=self.total)

    def document(self, *, recipient_label: str, recipient: str, lines, notes=()):
        """The record as portal.pdf.draw_invoice prints it (in the active language)."""
        from .pdf import InvoiceDocument

        correction = ""
        if self.corrects_id:
            corrected = self.corrects
            correction = gettext("Corrects invoice %(number)s of %(date)s. Reason: %(reason)s") % {
                "number": corrected.full_number, "date": corrected.issue_date.strftime("%d/%m/%Y"), "reason": self.correction_reason}
        title = gettext("Credit note") if self.corrects_id else gettext("Invoice")
        return InvoiceDocument(
            title=f"{title} {self.full_number}", issue_date=self.issue_date, correction=correction,
            issuer=f"{self.issuer_name}\nNIF {self.issuer_tax_id}\n{self.issuer_address}", recipient_label=recipient_label, recipient=recipient,
            lines=list(lines), notes=list(notes), base=self.base, tax=self.tax, total=self.total, currency=self.currency,
            qr_url=self.qr_url(), fingerprint=self.fingerprint,
        )


class InvoiceRecordLine(models.Model):
    """A line of a record: what, how many, at what price, the VAT rate and its amounts."""

    # Fiscal records, not content: Wagtail's reference index cost 12 of 32 ms an invoice, under the lock.
    wagtail_reference_index_ignore = True

    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(_("VAT %"), max_digits=5, decimal_places=2, default=Decimal("0"))
    base = models.DecimalField(_("base"), max_digits=12, decimal_places=2)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2)

    class Meta:
        abstract = True

    def __str__(self):
        return self.description

    @property
    def total(self):
        return self.base + self.tax
