"""A clinic's invoice as a PDF, in the layout every invoice shares (portal.pdf.draw_invoice):
the patient as recipient, and under the totals the exemption of each VAT-free line."""

from django.utils.translation import gettext as _

from portal.pdf import draw_invoice


def invoice_pdf(invoice) -> bytes:
    lines = list(invoice.lines.all())
    exemptions = list(dict.fromkeys(line.tax_exemption for line in lines if not line.tax_rate and line.tax_exemption))
    recipient = invoice.recipient_name + (f"\n{invoice.recipient_tax_id}" if invoice.recipient_tax_id else "")
    return draw_invoice(invoice.document(recipient_label=_("Patient"), recipient=recipient, lines=lines, notes=exemptions))
