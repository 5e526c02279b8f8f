"""Charts drawn on the server as SVG: no script, no dependency, readable without colour.

Three kinds (``clinic.reports.base.Chart``): vertical bars (one group per row, one bar
per series: invoiced beside collected), lines (months, weeks) and horizontal bars (a
top-N). Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>``,
with axis titles, ticks written as the table writes them (``portal.money``, numbers in
the active language) and a ``<title>`` on every bar or point holding the very figure of
the table beside it. Colours are dark enough on white for WCAG's 3:1 for graphics, and
series differ in shape too (a dashed second line, a hatched second bar). Every label is
escaped: service and practitioner names are typed by people.
"""

from decimal import Decimal
from html import escape

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .base import COUNT

WIDTH, HEIGHT = 760, 410
COLOURS = ("#1d4f91", "#a3410f", "#2b6e3a", "#6b2a8c")  # ≥ 4.5:1 on white
INK, GRID = "#1f1f1f", "#c8c8c8"
TICKS = 5


def _number(value) -> float:
    return float(value) if value is not None else 0.0


def nice_step(span: float, integer: bool) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ) giving about ``TICKS`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / TICKS
    power = 1.0
    while power * 10 <= raw:
        power *= 10
    while power > raw:
        power /= 10
    step = next(power * factor for factor in (1, 2, 2.5, 5, 10) if power * factor >= raw)
    if integer:
        step = max(1.0, round(step))
    return step


def scale(values, integer: bool):
    """The value axis: (low, high, ticks) covering 0 and every value."""
    low, high = min([0.0, *values]), max([0.0, *values])
    if low == high:
        high = low + (TICKS if integer else 1.0)
    step = nice_step(high - low, integer)
    first = step * (low // step)
    # Up to the first tick at or above the highest value: a bar never rises past the axis
    # (stopping half a step over ``high`` cut a 67,000 bar at a 60,000 top, step 20,000).
    ticks, tick = [round(first, 6)], first
    while ticks[-1] < high:
        tick += step
        ticks.append(round(tick, 6))
    return ticks[0], ticks[-1], ticks


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(chart, rows, columns, *, currency: str, title: str, uid: str) -> str:
    """The SVG of ``chart`` over ``rows``; ``columns`` maps keys to Column. Safe HTML."""
    category = columns[chart.category]
    series = [columns[key] for key in chart.series]
    kind = series[0].kind
    integer = kind == COUNT
    labels = [category.format(row[chart.category], currency) for row in rows]
    values = [[_number(row[s.key]) for s in series] for row in rows]
    flat = [v for group in values for v in group]
    low, high, ticks = scale(flat, integer)

    def tick_label(value):
        return series[0].format(Decimal(str(value)).quantize(Decimal(1)) if integer else Decimal(str(value)), currency)

    kinds = {"bars": _("Bar chart"), "line": _("Line chart"), "hbars": _("Horizontal bar chart")}
    desc = _("%(kind)s of %(series)s by %(category)s. The same figures are in the table beside it.") % {
        "kind": kinds[chart.kind], "series": ", ".join(str(s.label) for s in series), "category": str(category.label).lower()}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" aria-labelledby="{uid}-title {uid}-desc" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<title id="{uid}-title">{escape(str(title))}</title>', f'<desc id="{uid}-desc">{escape(desc)}</desc>',
           '<defs>' + "".join(
               f'<pattern id="{uid}-hatch{i}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
               f'<rect width="6" height="6" fill="{c}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern>'
               for i, c in enumerate(COLOURS)) + '</defs>']
    if not rows:
        out.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{INK}">{escape(_("Nothing in this period."))}</text></svg>')
        return mark_safe("".join(out))
    if chart.kind == "hbars":
        out += _hbars(chart, series, labels, values, low, high, ticks, tick_label, currency, uid, rows)
    else:
        out += _vertical(chart, series, labels, values, low, high, ticks, tick_label, currency, uid, rows)
    if len(series) > 1:
        x = 90
        for i, s in enumerate(series):
            fill = f"url(#{uid}-hatch{i})" if i % 2 else COLOURS[i]
            out.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{fill}" stroke="{COLOURS[i]}"/>'
                       f'<text x="{x + 20}" y="18" fill="{INK}">{escape(str(s.label))}</text>')
            x += 30 + 8 * len(str(s.label))
    out.append("</svg>")
    return mark_safe("".join(out))


def _vertical(chart, series, labels, values, low, high, ticks, tick_label, currency, uid, rows):
    left, right, top, bottom = 100, 20, 34, 120  # room under the axis for a rotated 22-character label
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom

    def y(value):
        return top + plot_h - (value - low) / (high - low) * plot_h

    out = []
    for tick in ticks:
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{INK}">{escape(tick_label(tick))}</text>')
    n = len(labels)
    band = plot_w / n
    every = max(1, -(-n // 16))  # at most 16 category labels
    for i, label in enumerate(labels):
        if i % every == 0:
            cx = left + band * (i + 0.5)
            out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="end" fill="{INK}" '
                       f'transform="rotate(-35 {cx:.1f} {top + plot_h + 14})">{escape(_short(label))}</text>')
    if chart.kind == "bars":
        width = band * 0.8 / len(series)
        for i, (label, group) in enumerate(zip(labels, values)):
            for j, (s, value) in enumerate(zip(series, group)):
                x = left + band * i + band * 0.1 + width * j
                y0, y1 = sorted((y(0), y(value)))
                fill = f"url(#{uid}-hatch{j})" if j % 2 else COLOURS[j]
                figure = s.format(rows[i][s.key], currency)
                out.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{max(width - 1, 1):.1f}" height="{max(y1 - y0, 0.5):.1f}" fill="{fill}" '
                           f'stroke="{COLOURS[j]}"><title>{escape(label)} · {escape(str(s.label))}: {escape(figure)}</title></rect>')
    else:
        for j, s in enumerate(series):
            points = [(left + band * (i + 0.5), y(group[j])) for i, group in enumerate(values)]
            dash = ' stroke-dasharray="6 4"' if j % 2 else ""
            out.append(f'<polyline fill="none" stroke="{COLOURS[j]}" stroke-width="2"{dash} points="'
                       + " ".join(f"{px:.1f},{py:.1f}" for px, py in points) + '"/>')
            for i, (px, py) in enumerate(points):
                figure = s.format(rows[i][s.key], currency)
                out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{COLOURS[j]}">'
                           f'<title>{escape(labels[i])} · {escape(str(s.label))}: {escape(figure)}</title></circle>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{INK}"/>'
               f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="{INK}"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle" font-weight="bold" fill="{INK}">{escape(str(chart.x_label))}</text>'
               f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" font-weight="bold" fill="{INK}" '
               f'transform="rotate(-90 14 {top + plot_h / 2})">{escape(str(chart.y_label))}</text>')
    return out


def _hbars(chart, series, labels, values, low, high, ticks, tick_label, currency, uid, rows):
    left, right, top, bottom = 220, 30, 34, 44  # a 28-character label clear of the axis title
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom

    def x(value):
        return left + (value - low) / (high - low) * plot_w

    out = []
    for tick in ticks:
        out.append(f'<line y1="{top}" y2="{top + plot_h}" x1="{x(tick):.1f}" x2="{x(tick):.1f}" stroke="{GRID}"/>'
                   f'<text y="{top + plot_h + 16}" x="{x(tick):.1f}" text-anchor="middle" fill="{INK}">{escape(tick_label(tick))}</text>')
    band = plot_h / len(labels)
    s = series[0]
    for i, (label, group) in enumerate(zip(labels, values)):
        cy = top + band * (i + 0.5)
        x0, x1 = sorted((x(0), x(group[0])))
        figure = s.format(rows[i][s.key], currency)
        out.append(f'<text x="{left - 8}" y="{cy + 4:.1f}" text-anchor="end" fill="{INK}">{escape(_short(label, 28))}</text>'
                   f'<rect x="{x0:.1f}" y="{top + band * i + band * 0.15:.1f}" width="{max(x1 - x0, 0.5):.1f}" height="{band * 0.7:.1f}" '
                   f'fill="{COLOURS[0]}"><title>{escape(label)} · {escape(str(s.label))}: {escape(figure)}</title></rect>')
    out.append(f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{top}" y2="{top + plot_h}" stroke="{INK}"/>'
               f'<text x="{left + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle" font-weight="bold" fill="{INK}">{escape(str(chart.x_label))}</text>'
               f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" font-weight="bold" fill="{INK}" '
               f'transform="rotate(-90 14 {top + plot_h / 2})">{escape(str(chart.y_label))}</text>')
    return out
