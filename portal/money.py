"""Money as people read it, in the active language: the one formatter for pages, e-mails
and PDFs (the ``money`` template filter calls it)."""

from decimal import Decimal

from django.utils.formats import number_format

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "US$", "MXN": "MX$", "COP": "COL$", "ARS": "AR$", "CLP": "CLP$", "PEN": "S/"}
SYMBOL_AFTER = {"EUR"}


def format_money(value, currency="EUR") -> str:
    """``45`` → ``45,00 €`` (in Spanish) or ``45.00 €`` (in English); the symbol per currency."""
    if value in (None, ""):
        return ""
    amount = number_format(Decimal(value), decimal_pos=0 if currency == "CLP" else 2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    return f"{amount}\u00a0{symbol}" if currency in SYMBOL_AFTER else f"{symbol}\u00a0{amount}"
