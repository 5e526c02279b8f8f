from django import template

from ..actions import quantity_text

register = template.Library()


@register.filter
def quantity(value):
    """``Decimal("102.500")`` → ``102,5`` (Spanish) or ``102.5`` (English); "" for nothing."""
    return "" if value in (None, "") else quantity_text(value)
