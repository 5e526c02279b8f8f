"""The odontogram drawn by the server as SVG: one box per tooth with its five surfaces.

The chart reads the way dentists read one, from the front of the patient: their right
on the viewer's left. Upper teeth have the vestibular surface at the top of their box,
lower teeth at the bottom; the mesial side faces the midline. Each surface is a
focusable button (``data-tooth``, ``data-surface``, an ``aria-label`` in words) so the
editor's script can select it by click or keyboard; a state shows as colour *and* a
letter, and the legend and the text table say the same in words.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .odontogram import SURFACE_STYLE, TOOTH_STYLE, Surface, SurfaceState, ToothState, describe

SIZE, GAP, INSET = 40, 6, 12
ROWS = (
    ([18, 17, 16, 15, 14, 13, 12, 11], [21, 22, 23, 24, 25, 26, 27, 28], True),
    ([55, 54, 53, 52, 51], [61, 62, 63, 64, 65], True),
    ([85, 84, 83, 82, 81], [71, 72, 73, 74, 75], False),
    ([48, 47, 46, 45, 44, 43, 42, 41], [31, 32, 33, 34, 35, 36, 37, 38], False),
)
ROW_HEIGHT = SIZE + 30
WIDTH = 16 * (SIZE + GAP) + 3 * GAP


def _polygons(x, y, *, upper: bool, right_side: bool) -> dict[str, str]:
    """Points of the five surfaces of the box at (x, y)."""
    a, b, s, i = x, y, SIZE, INSET
    top = f"{a},{b} {a + s},{b} {a + s - i},{b + i} {a + i},{b + i}"
    bottom = f"{a + i},{b + s - i} {a + s - i},{b + s - i} {a + s},{b + s} {a},{b + s}"
    left = f"{a},{b} {a + i},{b + i} {a + i},{b + s - i} {a},{b + s}"
    right = f"{a + s},{b} {a + s},{b + s} {a + s - i},{b + s - i} {a + s - i},{b + i}"
    centre = f"{a + i},{b + i} {a + s - i},{b + i} {a + s - i},{b + s - i} {a + i},{b + s - i}"
    return {
        Surface.VESTIBULAR: top if upper else bottom,
        Surface.LINGUAL: bottom if upper else top,
        Surface.MESIAL: right if right_side else left,
        Surface.DISTAL: left if right_side else right,
        Surface.OCCLUSAL: centre,
    }


def _centre(points: str) -> tuple[float, float]:
    pairs = [tuple(map(float, p.split(","))) for p in points.split()]
    return sum(p[0] for p in pairs) / len(pairs), sum(p[1] for p in pairs) / len(pairs)


def render(chart: dict, *, interactive: bool = False, highlight: set[str] | frozenset = frozenset(), title: str = "") -> str:
    """The chart as an SVG element (safe HTML), styled by attributes so that it also reads
    alone, as an image file (the patient's portal); the admin's CSS adds focus and hover."""
    surface_labels = dict(Surface.choices)
    parts = [
        f'<svg class="odontogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {len(ROWS) * ROW_HEIGHT + 10}" '
        f'role="img" aria-labelledby="odontogram-title"><title id="odontogram-title">{escape(title or _("Odontogram"))}</title>'
        f'<line x1="{WIDTH / 2}" y1="0" x2="{WIDTH / 2}" y2="{len(ROWS) * ROW_HEIGHT}" class="odontogram__midline" stroke="#aaa" stroke-dasharray="4 3"/>'
    ]
    for row, (right_teeth, left_teeth, upper) in enumerate(ROWS):
        y = row * ROW_HEIGHT + (22 if upper else 8)
        label_y = y - 6 if upper else y + SIZE + 16
        offset = (8 - len(right_teeth)) * (SIZE + GAP)
        for side, teeth in ((True, right_teeth), (False, left_teeth)):
            for index, number in enumerate(teeth):
                tooth = str(number)
                if side:
                    x = GAP + offset + index * (SIZE + GAP)
                else:
                    x = WIDTH / 2 + GAP + index * (SIZE + GAP)
                parts.append(_tooth(tooth, chart.get(tooth, {}), x, y, label_y, upper=upper, right_side=side, interactive=interactive,
                                    highlighted=tooth in highlight, surface_labels=surface_labels))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _tooth(tooth, entry, x, y, label_y, *, upper, right_side, interactive, highlighted, surface_labels) -> str:
    state = entry.get("state", ToothState.HEALTHY)
    fill, symbol = TOOTH_STYLE[state]
    surfaces = entry.get("surfaces", {})
    words = escape(describe(entry))
    classes = "odontogram__tooth" + (" is-changed" if highlighted else "") + f" state-{state}"
    button = ' tabindex="0" role="button"' if interactive else ""
    out = [f'<g class="{classes}" data-tooth="{tooth}">']
    out.append(f'<text x="{x + SIZE / 2}" y="{label_y}" text-anchor="middle" class="odontogram__number" font-size="11" font-family="sans-serif"{button} data-tooth="{tooth}" '
               f'aria-label="{escape(_("Tooth %(tooth)s: %(state)s") % {"tooth": tooth, "state": describe(entry)})}">{tooth}</text>')
    for surface, points in _polygons(x, y, upper=upper, right_side=right_side).items():
        value = surfaces.get(surface)
        colour, letter = SURFACE_STYLE[value] if value else (fill, "")
        label = _("Tooth %(tooth)s, %(surface)s: %(state)s") % {
            "tooth": tooth, "surface": surface_labels[surface], "state": SurfaceState(value).label if value else ToothState(state).label}
        out.append(f'<polygon points="{points}" fill="{colour}" class="odontogram__surface" stroke="#555" data-tooth="{tooth}" data-surface="{surface}"'
                   f'{button} aria-label="{escape(label)}"><title>{escape(label)}</title></polygon>')
        if letter:
            cx, cy = _centre(points)
            out.append(f'<text x="{cx}" y="{cy + 3}" text-anchor="middle" class="odontogram__letter" font-size="8" font-weight="700" fill="#fff" font-family="sans-serif" aria-hidden="true">{letter}</text>')
    if symbol:
        out.append(f'<text x="{x + SIZE / 2}" y="{y + SIZE / 2 + 5}" text-anchor="middle" class="odontogram__symbol" font-size="18" font-weight="700" fill="#222" fill-opacity=".8" font-family="sans-serif" aria-hidden="true">{symbol}</text>')
    if state in (ToothState.MISSING, ToothState.EXTRACTED):
        out.append(f'<path d="M{x},{y} L{x + SIZE},{y + SIZE} M{x + SIZE},{y} L{x},{y + SIZE}" class="odontogram__cross" stroke="#333" stroke-width="2" aria-hidden="true"/>')
    out.append(f"<desc>{words}</desc></g>")
    return "".join(out)


def legend() -> list[dict]:
    """Every state with its colour and letter, for the legend beside the chart."""
    items = [{"kind": "tooth", "value": s.value, "label": s.label, "colour": TOOTH_STYLE[s.value][0], "letter": TOOTH_STYLE[s.value][1]}
             for s in ToothState if s != ToothState.HEALTHY]
    items += [{"kind": "surface", "value": s.value, "label": s.label, "colour": SURFACE_STYLE[s.value][0], "letter": SURFACE_STYLE[s.value][1]}
              for s in SurfaceState]
    return items


def rows(chart: dict) -> list[dict]:
    """The text table equivalent: every tooth that is not plain healthy, in FDI order."""
    return [{"tooth": tooth, "description": describe(entry)} for tooth, entry in sorted(chart.items(), key=lambda item: int(item[0]))]
