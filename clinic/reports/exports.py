"""A report as a CSV file and as a PDF: the same rows and columns as its page.

The CSV is for spreadsheets: a header of the columns' names in the reader's language,
then one line per row with plain values (money with two decimals and a point, no
symbol; rates in percent with one decimal; months as YYYY-MM, weeks as their Monday).
The PDF (fpdf2 with the core fonts, as the invoices: portal.pdf) has the title, the
period and practitioner, what the report measures, the chart and the table as the page
writes it. The chart is drawn with fpdf2's own lines and text, on the page's scale
(clinic.reports.charts): fpdf2 can place an SVG but drops its text, and a chart without
its axis labels is no chart.
"""

import csv
import io

from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portal.pdf import latin1


def as_csv(columns, rows, totals=None) -> str:
    """The header, the rows and, when the report has one, the totals line ("Total" first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(c.label) for c in columns])
    for row in rows:
        writer.writerow([c.csv(row[c.key]) for c in columns])
    if totals is not None:
        writer.writerow([_("Total")] + [columns[i].csv(totals.get(columns[i].key)) for i in range(1, len(columns))])
    return out.getvalue()


def total_cells(columns, totals, currency) -> list[str]:
    """The totals row as the page and the PDF write it: "Total", then each column's sum
    (a dash for a column the report does not sum)."""
    return [_("Total")] + [c.format(totals.get(c.key), currency) for c in columns[1:]]


def period_text(filters, clinic_wide: bool = False) -> str:
    """The period and whose numbers: a practitioner, all of them, or (a clinic-wide
    report, which no practitioner filter reaches) the whole clinic."""
    text = _("From %(start)s to %(end)s") % {"start": date_format(filters.start, "d/m/Y"), "end": date_format(filters.end, "d/m/Y")}
    if clinic_wide:
        who = _("Whole clinic")
    else:
        who = filters.practitioner.display_name if filters.practitioner is not None else _("All practitioners")
    return f"{text} · {who}"


def as_pdf(*, title: str, definition: str, filters, columns, rows, chart, by_key, clinic_name: str, totals=None, clinic_wide=False) -> bytes:
    """The PDF bytes: heading, definition, ``chart`` (or none) and the table."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_compression(False)  # a few kilobytes more; the text stays searchable by any tool
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(latin1(title))
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(f"{clinic_name} · {period_text(filters, clinic_wide)}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, latin1(definition), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if chart is not None and rows:
        draw_chart(pdf, chart, rows, by_key, filters.currency)
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
    if totals is not None:
        pdf.set_font("Helvetica", "B", 9)
        for i, (cell, width) in enumerate(zip(total_cells(columns, totals, currency), widths)):
            pdf.cell(width, 6, latin1(cell)[:40], border="T", align="L" if i == 0 else "R")
        pdf.ln()
    if not rows:
        pdf.cell(0, 6, latin1(_("Nothing in this period.")), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _rgb(colour: str):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def draw_chart(pdf, chart, rows, by_key, currency, height: float = 70) -> None:
    """``chart`` at the cursor, full width: value ticks, category labels (at most 16),
    axis titles, a legend for two series or more; bars, lines or horizontal bars."""
    from .charts import COLOURS, scale
    from .base import COUNT

    series = [by_key[key] for key in chart.series]
    category = by_key[chart.category]
    integer = series[0].kind == COUNT
    values = [[float(row[s.key] or 0) for s in series] for row in rows]
    low, high, ticks = scale([v for group in values for v in group], integer)
    labels = [latin1(category.format(row[chart.category], currency)) for row in rows]
    tick_text = [latin1(series[0].format(Decimal(str(t)).quantize(Decimal(1)) if integer else Decimal(str(t)), currency)) for t in ticks]
    pdf.set_font("Helvetica", "", 7)
    top = pdf.get_y() + (6 if len(series) > 1 else 2)
    left = pdf.l_margin + (45 if chart.kind == "hbars" else max(pdf.get_string_width(t) for t in tick_text) + 8)
    width, bottom = pdf.l_margin + pdf.epw - left, top + height
    if len(series) > 1:
        x = left
        for i, s in enumerate(series):
            pdf.set_fill_color(*_rgb(COLOURS[i]))
            pdf.rect(x, top - 5, 3, 3, style="F")
            pdf.text(x + 4, top - 2.6, latin1(s.label))
            x += 8 + pdf.get_string_width(latin1(s.label))
    pdf.set_draw_color(200, 200, 200)
    if chart.kind == "hbars":
        def at(value):
            return left + (value - low) / (high - low) * width

        for tick, text in zip(ticks, tick_text):
            pdf.line(at(tick), top, at(tick), bottom)
            pdf.text(at(tick) - pdf.get_string_width(text) / 2, bottom + 3.5, text)
        band = height / len(rows)
        pdf.set_fill_color(*_rgb(COLOURS[0]))
        for i, (label, group) in enumerate(zip(labels, values)):
            x0, x1 = sorted((at(0), at(group[0])))
            pdf.rect(x0, top + band * i + band * 0.15, max(x1 - x0, 0.2), band * 0.7, style="F")
            pdf.text(pdf.l_margin, top + band * (i + 0.6), label[:30])
    else:
        def at(value):
            return bottom - (value - low) / (high - low) * height

        for tick, text in zip(ticks, tick_text):
            pdf.line(left, at(tick), left + width, at(tick))
            pdf.text(left - 2 - pdf.get_string_width(text), at(tick) + 1, text)
        band = width / len(rows)
        every = max(1, -(-len(rows) // 16))
        for i, label in enumerate(labels):
            if i % every == 0:
                pdf.text(left + band * i + band / 2 - pdf.get_string_width(label[:14]) / 2, bottom + 3.5, label[:14])
        for j, s in enumerate(series):
            pdf.set_fill_color(*_rgb(COLOURS[j]))
            pdf.set_draw_color(*_rgb(COLOURS[j]))
            if chart.kind == "bars":
                bar = band * 0.8 / len(series)
                for i, group in enumerate(values):
                    y0, y1 = sorted((at(0), at(group[j])))
                    pdf.rect(left + band * i + band * 0.1 + bar * j, y0, max(bar - 0.3, 0.2), max(y1 - y0, 0.2), style="F")
            else:
                pdf.set_line_width(0.5)
                points = [(left + band * (i + 0.5), at(group[j])) for i, group in enumerate(values)]
                for (x0, y0), (x1, y1) in zip(points, points[1:]):
                    pdf.line(x0, y0, x1, y1)
                pdf.set_line_width(0.2)
    pdf.set_draw_color(31, 31, 31)
    pdf.line(left, top, left, bottom)
    pdf.set_font("Helvetica", "B", 7)
    pdf.text(left + width / 2 - pdf.get_string_width(latin1(chart.x_label)) / 2, bottom + 8, latin1(chart.x_label))
    with pdf.rotation(90, pdf.l_margin + 2, top + height / 2):
        pdf.text(pdf.l_margin + 2 - pdf.get_string_width(latin1(chart.y_label)) / 2, top + height / 2, latin1(chart.y_label))
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(bottom + 11)
