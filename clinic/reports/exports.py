"""A report as a CSV file and as a PDF: the same rows and columns as its page.

The CSV is for spreadsheets: a header of the columns' names in the reader's language,
then one line per row with plain values (money with two decimals and a point, no
symbol; rates in percent with one decimal; months as YYYY-MM, weeks as their Monday).
The PDF (fpdf2 with the core fonts, as the invoices: portal.pdf) has the title, the
period and practitioner, what the report measures, the chart (the page's SVG drawn by
fpdf2) and the table as the page writes it.
"""

import csv
import io
import logging

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.pdf import latin1

logger = logging.getLogger(__name__)


def as_csv(columns, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(c.label) for c in columns])
    for row in rows:
        writer.writerow([c.csv(row[c.key]) for c in columns])
    return out.getvalue()


def period_text(filters) -> str:
    text = _("From %(start)s to %(end)s") % {"start": date_format(filters.start, "d/m/Y"), "end": date_format(filters.end, "d/m/Y")}
    who = filters.practitioner.display_name if filters.practitioner is not None else _("All practitioners")
    return f"{text} · {who}"


def as_pdf(*, title: str, definition: str, filters, columns, rows, svg: str, clinic_name: str) -> bytes:
    """The PDF bytes. If fpdf2 cannot draw the chart, the table is printed alone (logged)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_compression(False)  # a few kilobytes more; the text stays searchable by any tool
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(latin1(title))
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(f"{clinic_name} · {period_text(filters)}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, latin1(definition), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if svg:
        try:
            pdf.image(io.BytesIO(latin1(svg).encode("utf-8")), w=pdf.epw)
        except Exception:  # noqa: BLE001 — a chart fpdf2 cannot draw must not cost the reader the table
            logger.exception("report chart not drawn in the PDF: %s", title)
    pdf.ln(2)
    widths = [pdf.epw / len(columns)] * len(columns)
    pdf.set_font("Helvetica", "B", 9)
    for column, width in zip(columns, widths):
        pdf.cell(width, 6, latin1(column.label), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    currency = filters.currency
    for row in rows:
        for i, (column, width) in enumerate(zip(columns, widths)):
            pdf.cell(width, 5.5, latin1(column.format(row[column.key], currency))[:40], align="L" if i == 0 else "R")
        pdf.ln()
    if not rows:
        pdf.cell(0, 6, latin1(_("Nothing in this period.")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
