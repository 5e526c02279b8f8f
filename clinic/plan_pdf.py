"""An estimate (presupuesto) as a PDF, to hand over or sign on paper: the clinic, the
patient, every line as it was priced, the totals, what is paid when, the validity and
a place to sign; an accepted one says who accepted it, when and how."""

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.money import format_money
from portal.pdf import latin1
from portal.tenancy import clinic_zone

from .models import InvoicingSettings


def estimate_pdf(estimate) -> bytes:
    from fpdf import FPDF

    from theme.models import BrandSettings

    plan = estimate.plan
    brand = BrandSettings.for_default_site()
    issuer = InvoicingSettings.load()
    money = lambda value: latin1(format_money(value, estimate.currency))  # noqa: E731
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    title = _("Estimate %(number)s") % {"number": estimate.number}
    pdf.set_title(latin1(title))
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    clinic_lines = [issuer.legal_name or brand.display_name, f"NIF {issuer.tax_id}" if issuer.tax_id else "", issuer.address or brand.address]
    pdf.multi_cell(0, 5, latin1("\n".join(line for line in clinic_lines if line)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 5, latin1(_("Patient: %(name)s") % {"name": plan.patient} + (f" · {plan.patient.national_id}" if plan.patient.national_id else "")
                                + "\n" + _("Treatment plan: %(title)s") % {"title": plan.title}
                                + "\n" + _("Presented on %(date)s, valid until %(until)s") % {
                                    "date": timezone.localtime(estimate.presented_at, clinic_zone()).strftime("%d/%m/%Y"),
                                    "until": estimate.valid_until.strftime("%d/%m/%Y")}), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (12, 78, 16, 12, 26, 16, 30)
    pdf.set_font("Helvetica", "B", 9)
    for width, label in zip(widths, (_("Phase"), _("Treatment"), _("Tooth"), _("Qty."), _("Price"), _("Disc. %"), _("Amount"))):
        pdf.cell(width, 7, latin1(label), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for line in estimate.lines.all():
        pdf.cell(widths[0], 6, str(line.phase))
        pdf.cell(widths[1], 6, latin1(line.description)[:48])
        pdf.cell(widths[2], 6, latin1(line.where))
        pdf.cell(widths[3], 6, str(line.quantity), align="R")
        pdf.cell(widths[4], 6, money(line.unit_price), align="R")
        pdf.cell(widths[5], 6, f"{line.discount_percent.normalize():f}", align="R")
        pdf.cell(widths[6], 6, money(line.total), align="R")
        pdf.ln()
    pdf.ln(2)
    rows = [(_("Before discounts"), estimate.gross), (_("Discounts"), -estimate.discount)] if estimate.discount else []
    rows += [(_("VAT"), estimate.tax)] if estimate.tax else []
    for label, value in rows + [(_("Total"), estimate.total)]:
        pdf.set_font("Helvetica", "B" if label == _("Total") else "", 10)
        pdf.cell(160, 6, latin1(label), align="R")
        pdf.cell(30, 6, money(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, latin1(_("What you pay and when")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for instalment in estimate.instalments.all():
        pdf.cell(0, 5, latin1(f"{instalment.sequence}. {format_money(instalment.amount, estimate.currency)} {instalment.when}"), new_x="LMARGIN", new_y="NEXT")
    if plan.notes:
        pdf.ln(2)
        pdf.multi_cell(0, 5, latin1(plan.notes), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    if estimate.accepted_at:
        pdf.multi_cell(0, 5, latin1(_("Accepted by %(name)s on %(date)s (%(via)s).") % {
            "name": estimate.accepted_name, "date": timezone.localtime(estimate.accepted_at, clinic_zone()).strftime("%d/%m/%Y %H:%M"),
            "via": estimate.get_accepted_via_display()}), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.cell(0, 6, latin1(_("I accept this estimate. Name, date and signature:")), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(14)
        pdf.cell(90, 0, "", border="T")
    return bytes(pdf.output())
