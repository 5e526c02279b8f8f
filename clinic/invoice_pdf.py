"""An invoice as a PDF: issuer, recipient, lines, VAT or its exemption, totals, the QR
code with the AEAT's check URL, and the credit note's reference to what it corrects."""

import io

from django.utils.translation import gettext as _

from portal.money import format_money
from portal.pdf import latin1




def invoice_pdf(invoice) -> bytes:
    import segno
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    title = _("Credit note") if invoice.kind == invoice.Kind.CREDIT else _("Invoice")
    pdf.set_title(latin1(f"{title} {invoice.full_number}"))
    money = lambda value: latin1(format_money(value, invoice.currency))  # noqa: E731

    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(f"{title} {invoice.full_number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(_("Date of issue: %(date)s") % {"date": invoice.issue_date.strftime("%d/%m/%Y")}), new_x="LMARGIN", new_y="NEXT")
    if invoice.corrects_id:
        corrected = invoice.corrects
        pdf.multi_cell(0, 5, latin1(_("Corrects invoice %(number)s of %(date)s. Reason: %(reason)s") % {
            "number": corrected.full_number, "date": corrected.issue_date.strftime("%d/%m/%Y"), "reason": invoice.correction_reason}),
            new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    top = pdf.get_y()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(95, 5, latin1(_("Issuer")), new_x="RIGHT", new_y="TOP")
    pdf.cell(0, 5, latin1(_("Patient")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(95, 5, latin1(f"{invoice.issuer_name}\nNIF {invoice.issuer_tax_id}\n{invoice.issuer_address}"), new_x="RIGHT", new_y="TOP")
    pdf.set_xy(105, top + 5)
    recipient = invoice.recipient_name + (f"\n{invoice.recipient_tax_id}" if invoice.recipient_tax_id else "")
    pdf.multi_cell(0, 5, latin1(recipient), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 30))

    pdf.set_font("Helvetica", "B", 10)
    widths = (90, 18, 30, 20, 30)
    for width, label in zip(widths, (_("Description"), _("Qty."), _("Price"), _("VAT %"), _("Amount"))):
        pdf.cell(width, 7, latin1(label), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    exemptions = []
    for line in invoice.lines.all():
        pdf.cell(widths[0], 6, latin1(line.description)[:60])
        pdf.cell(widths[1], 6, f"{line.quantity.normalize():f}", align="R")
        pdf.cell(widths[2], 6, money(line.unit_price), align="R")
        pdf.cell(widths[3], 6, f"{line.tax_rate.normalize():f}", align="R")
        pdf.cell(widths[4], 6, money(line.base), align="R")
        pdf.ln()
        if not line.tax_rate and line.tax_exemption and line.tax_exemption not in exemptions:
            exemptions.append(line.tax_exemption)
    pdf.ln(2)
    for label, value in ((_("Taxable base"), invoice.base), (_("VAT"), invoice.tax), (_("Total"), invoice.total)):
        pdf.set_font("Helvetica", "B" if label == _("Total") else "", 11)
        pdf.cell(158, 7, latin1(label), align="R")
        pdf.cell(30, 7, money(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for text in exemptions:
        pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")

    qr = io.BytesIO()
    segno.make(invoice.qr_url(), error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    y = max(pdf.get_y() + 6, 200)
    pdf.image(qr, x=15, y=y, w=35)
    pdf.set_xy(55, y + 4)
    pdf.set_font("Helvetica", "B", 9)
    pdf.multi_cell(0, 5, "QR tributario: VERI*FACTU", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(55)
    pdf.set_font("Helvetica", "", 7)
    pdf.multi_cell(0, 4, latin1(_("Record fingerprint: %(hash)s") % {"hash": invoice.fingerprint}), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
