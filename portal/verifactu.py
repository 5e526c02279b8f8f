"""The invoice record chain, pure: the VERI*FACTU fingerprint ("huella") and the QR URL.

Spain's rules for invoicing software (RD 1007/2023, Orden HAC/1177/2024) chain every
invoice record to the previous one of the same issuer: the record's fingerprint is
SHA-256, in upper-case hex, of its key fields written as ``name=value`` joined by
``&`` with the previous record's fingerprint inside. The AEAT's own worked examples
are the test vectors in tests/clinic/test_invoices.py. Sending the records to the tax
agency is out of scope (no network here); the records, the chain and its check are.

Shared by both issuers: each clinic (clinic.Invoice, in its schema) and the platform
invoicing clinics for their plan (billing.PlatformInvoice, public schema). Pure: it
imports none of the apps.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

# The AEAT's QR check service (production). The test environment is prewww2.aeat.es.
QR_BASE = "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR"


def amount(value: Decimal) -> str:
    """An amount as the records write it: a point, two decimals ("12.35", "-80.00")."""
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


@dataclass(frozen=True)
class RecordFields:
    issuer_tax_id: str  # IDEmisorFactura
    number: str  # NumSerieFactura
    issue_date: date  # FechaExpedicionFactura, dd-mm-yyyy
    kind: str  # TipoFactura: F1 invoice, R1 credit note (rectificativa)
    tax: Decimal  # CuotaTotal
    total: Decimal  # ImporteTotal
    previous: str  # Huella of the previous record, "" for the first
    generated_at: datetime  # FechaHoraHusoGenRegistro, ISO 8601 with the offset

    def canonical(self) -> str:
        return "&".join([
            f"IDEmisorFactura={self.issuer_tax_id.strip()}",
            f"NumSerieFactura={self.number.strip()}",
            f"FechaExpedicionFactura={self.issue_date:%d-%m-%Y}",
            f"TipoFactura={self.kind}",
            f"CuotaTotal={amount(self.tax)}",
            f"ImporteTotal={amount(self.total)}",
            f"Huella={self.previous}",
            f"FechaHoraHusoGenRegistro={self.generated_at.isoformat(timespec='seconds')}",
        ])


def fingerprint(fields: RecordFields) -> str:
    return hashlib.sha256(fields.canonical().encode("utf-8")).hexdigest().upper()


def qr_url(*, issuer_tax_id: str, number: str, issue_date: date, total: Decimal) -> str:
    """What the invoice's QR code holds: the AEAT's page that checks the invoice."""
    return f"{QR_BASE}?" + urlencode({"nif": issuer_tax_id, "numserie": number, "fecha": f"{issue_date:%d-%m-%Y}", "importe": amount(total)})


@dataclass(frozen=True)
class Break:
    """Where a chain is broken: the record, and what does not hold."""

    number: str
    reason: str


def verify(records) -> list[Break]:
    """Every break in a chain of ``(number, RecordFields, stored_fingerprint)`` in issue order:
    a fingerprint that does not match its fields, or a link to something other than
    the previous record."""
    breaks, previous = [], ""
    for number, fields, stored in records:
        if fields.previous != previous:
            breaks.append(Break(number, "previous"))
        if fingerprint(fields) != stored:
            breaks.append(Break(number, "fingerprint"))
        previous = stored
    return breaks
