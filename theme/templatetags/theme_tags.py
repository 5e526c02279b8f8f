from django import template
from django.utils.html import format_html_join
from wagtail.models import Page, Site

from portal.money import format_money
from theme.models import BrandSettings

register = template.Library()



@register.simple_tag(takes_context=True)
def brand(context):
    """The clinic's BrandSettings for this request (cached per request by Wagtail)."""
    return BrandSettings.for_request(context["request"])


@register.simple_tag(takes_context=True)
def booking_open(context):
    """Whether patients can book online here yet (clinic.onboarding), once per request."""
    from clinic.onboarding import booking_open as is_open

    return is_open(context["request"])


@register.simple_tag(takes_context=True)
def brand_style(context):
    """CSS custom properties for the clinic's colours, for the base template's <style>."""
    variables = BrandSettings.for_request(context["request"]).css_variables
    return format_html_join("", "{}: {};", variables.items())


@register.simple_tag(takes_context=True)
def main_menu(context):
    """Live, in-menu children of the site's home page (one query on Wagtail pages)."""
    page = context.get("page")
    if isinstance(page, Page) and page.depth >= 2:
        # The site root is this page's ancestor at depth 2: its path is a prefix of ours.
        root_path = page.path[: Page.steplen * 2]
        return list(Page.objects.live().in_menu().filter(depth=3, path__startswith=root_path))
    site = Site.find_for_request(context["request"])
    if site is None:
        return []
    return list(site.root_page.get_children().live().in_menu())


@register.filter
def in_section(page, item) -> bool:
    """True when ``page`` is ``item`` or below it (for aria-current in the menu)."""
    return bool(page and getattr(page, "path", "").startswith(item.path))


@register.filter
def money(value, currency="EUR"):
    """``45`` → ``45,00 €`` (in Spanish) or ``45.00 €`` (in English): portal.money."""
    return format_money(value, currency)


@register.filter
def minutes(value):
    """``90`` → ``1 h 30 min``."""
    value = int(value or 0)
    hours, mins = divmod(value, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"
