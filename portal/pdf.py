"""What the PDFs share (fpdf2 with its core fonts, which speak Latin-1), and the one
layout every invoice is printed with (clinic invoices and the platform's)."""

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from .money import format_money


def latin1(text) -> str:
    """``text`` as the core fonts can print it: Spanish fits; "€" becomes "EUR", curly quotes
    and dashes plain ones, anything else "?"."""
    return str(text if text is not None else "").replace("€", "EUR").replace("“", '"').replace("”", '"').replace("–", "-").replace("—", "-") \
        .encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class InvoiceDocument:
    """An invoice or credit note as plain data (portal.invoicing.InvoiceRecord.document).
    ``lines`` have ``description``, ``quantity``, ``unit_price``, ``tax_rate`` and ``base``;
    ``notes`` are printed under the totals (a VAT exemption, for instance)."""

    title: str
    issue_date: date
    issuer: str
    recipient_label: str
    recipient: str
    lines: list
    base: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    qr_url: str
    fingerprint: str
    correction: str = ""
    notes: list = field(default_factory=list)


def draw_invoice(doc: InvoiceDocument) -> bytes:
    """The PDF: title and date, what it corrects, issuer and recipient side by side, the
    lines, base, VAT and total, the notes, and the VERI*FACTU QR code with the record's
    fingerprint. Labels in the active language."""
    import segno
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(latin1(doc.title))
    money = lambda value: latin1(format_money(value, doc.currency))  # noqa: E731

    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(_("Date of issue: %(date)s") % {"date": doc.issue_date.strftime("%d/%m/%Y")}), new_x="LMARGIN", new_y="NEXT")
    if doc.correction:
        pdf.multi_cell(0, 5, latin1(doc.correction), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    top = pdf.get_y()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(95, 5, latin1(_("Issuer")), new_x="RIGHT", new_y="TOP")
    pdf.cell(0, 5, latin1(doc.recipient_label), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(95, 5, latin1(doc.issuer), new_x="RIGHT", new_y="TOP")
    pdf.set_xy(105, top + 5)
    pdf.multi_cell(0, 5, latin1(doc.recipient), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 30))

    pdf.set_font("Helvetica", "B", 10)
    widths = (90, 18, 30, 20, 30)
    for width, label in zip(widths, (_("Description"), _("Qty."), _("Price"), _("VAT %"), _("Amount"))):
        pdf.cell(width, 7, latin1(label), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in doc.lines:
        pdf.cell(widths[0], 6, latin1(line.description)[:60])
        pdf.cell(widths[1], 6, f"{line.quantity.normalize():f}", align="R")
        pdf.cell(widths[2], 6, money(line.unit_price), align="R")
        pdf.cell(widths[3], 6, f"{line.tax_rate.normalize():f}", align="R")
        pdf.cell(widths[4], 6, money(line.base), align="R")
        pdf.ln()
    pdf.ln(2)
    for label, value in ((_("Taxable base"), doc.base), (_("VAT"), doc.tax), (_("Total"), doc.total)):
        pdf.set_font("Helvetica", "B" if label == _("Total") else "", 11)
        pdf.cell(158, 7, latin1(label), align="R")
        pdf.cell(30, 7, money(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for text in doc.notes:
        pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")

    qr = io.BytesIO()
    segno.make(doc.qr_url, error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    y = max(pdf.get_y() + 6, 200)
    pdf.image(qr, x=15, y=y, w=35)
    pdf.set_xy(55, y + 4)
    pdf.set_font("Helvetica", "B", 9)
    pdf.multi_cell(0, 5, "QR tributario: VERI*FACTU", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(55)
    pdf.set_font("Helvetica", "", 7)
    pdf.multi_cell(0, 4, latin1(_("Record fingerprint: %(hash)s") % {"hash": doc.fingerprint}), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
