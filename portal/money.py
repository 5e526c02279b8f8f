"""Money as people read it: the one formatter for pages, e-mails and PDFs (the ``money``
template filter calls it).

Each currency is written the way its country writes it, whatever the page's language:
Mexican pesos as ``$600.00`` (es-MX), Colombian as ``$ 600.000``, Chilean as
``$600`` … Euros follow the language: ``600,00 €`` in Spanish, ``600.00 €`` in English.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language

# currency → (symbol, symbol after the amount, decimal mark, thousands mark, decimals)
FORMATS = {
    "MXN": ("$", False, ".", ",", 2),  # es-MX
    "USD": ("US$", False, ".", ",", 2),
    "COP": ("$\u00a0", False, ",", ".", 0),  # es-CO: whole pesos
    "ARS": ("$\u00a0", False, ",", ".", 2),  # es-AR
    "CLP": ("$", False, ",", ".", 0),  # es-CL: whole pesos
    "PEN": ("S/\u00a0", False, ".", ",", 2),  # es-PE
}
EURO_MARKS = {"es": (",", "."), "en": (".", ",")}


def format_money(value, currency="EUR") -> str:
    """``45`` → ``45,00 €`` (EUR, Spanish), ``$45.00`` (MXN); "" for no value."""
    if value in (None, ""):
        return ""
    if currency in FORMATS:
        symbol, after, decimal_mark, thousands_mark, places = FORMATS[currency]
    else:
        decimal_mark, thousands_mark = EURO_MARKS.get((get_language() or "es")[:2], EURO_MARKS["es"])
        symbol, after, places = ("€" if currency == "EUR" else currency), True, 2
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, _, fraction = f"{abs(amount):f}".partition(".")
    groups = f"{int(whole):,}".replace(",", thousands_mark)
    number = groups + (decimal_mark + fraction if places else "")
    return f"{sign}{number}\u00a0{symbol}" if after else f"{sign}{symbol}{number}"
