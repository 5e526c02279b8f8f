"""Issue 11, item 6: one formatter writes each currency the way its country does."""

import pytest
from django.utils import translation

from portal.money import format_money


@pytest.mark.parametrize("language", ["es", "en"])
def test_each_currency_is_written_as_its_country_writes_it(language):
    with translation.override(language):
        assert format_money(600, "MXN") == "$600.00"  # es-MX, whatever the page's language
        assert format_money("1234567.891", "MXN") == "$1,234,567.89"
        assert format_money(600000, "COP") == "$\xa0600.000"
        assert format_money(45, "CLP") == "$45"
        assert format_money("12.5", "PEN") == "S/\xa012.50"


def test_euros_follow_the_language():
    with translation.override("es"):
        assert format_money(600, "EUR") == "600,00\xa0€"
        assert format_money("1234.5", "EUR") == "1.234,50\xa0€"
        assert format_money(-80, "EUR") == "-80,00\xa0€"
    with translation.override("en"):
        assert format_money("49", "EUR") == "49.00\xa0€"


def test_nothing_to_show_is_empty():
    assert format_money(None, "EUR") == "" and format_money("", "MXN") == ""
