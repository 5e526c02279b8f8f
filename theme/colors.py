"""Colour arithmetic for brand settings, so any brand colour stays readable (WCAG 2.1).

A clinic picks any primary and accent colour; the theme derives the text colour to
put on them and a darker shade for links on white, each with a contrast ratio of at
least 4.5:1.
"""

import re

HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5
WHITE = "#ffffff"
INK = "#111827"


def _channels(hex_color: str) -> tuple[int, int, int]:
    value = hex_color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def luminance(hex_color: str) -> float:
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _channels(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """White or near-black, whichever reads better on ``background``."""
    return WHITE if contrast(background, WHITE) >= contrast(background, INK) else INK


def darken(hex_color: str, factor: float) -> str:
    r, g, b = (max(0, int(c * (1 - factor))) for c in _channels(hex_color))
    return f"#{r:02x}{g:02x}{b:02x}"


def readable_on_white(hex_color: str) -> str:
    """The colour itself, or the first darker shade with 4.5:1 contrast on white."""
    color = hex_color
    step = 0
    while contrast(color, WHITE) < MIN_CONTRAST and step < 20:
        step += 1
        color = darken(hex_color, step * 0.05)
    return color


def mix_with_white(hex_color: str, amount: float) -> str:
    """A tint: ``amount`` of the colour over white (for soft backgrounds)."""
    r, g, b = (round(255 - (255 - c) * amount) for c in _channels(hex_color))
    return f"#{r:02x}{g:02x}{b:02x}"
