from django import template
from django.utils.html import format_html_join
from wagtail.models import Page, Site

from portal.money import format_money
from portal.pagecache import PageLink, brand_for, memo, site_for

register = template.Library()



@register.simple_tag(takes_context=True)
def brand(context):
    """The clinic's BrandSettings for this request (portal.pagecache: once per clinic and
    generation in each process)."""
    return brand_for(context["request"])


@register.simple_tag(takes_context=True)
def booking_open(context):
    """Whether patients can book online here yet (clinic.onboarding), once per request."""
    from clinic.onboarding import booking_open as is_open

    return is_open(context["request"])


@register.simple_tag(takes_context=True)
def brand_style(context):
    """CSS custom properties for the clinic's colours, for the base template's <style>."""
    variables = brand_for(context["request"]).css_variables
    return format_html_join("", "{}: {};", variables.items())


@register.simple_tag(takes_context=True)
def main_menu(context):
    """Links to the live, in-menu children of the site's home page (portal.pagecache: one
    query per clinic and generation in each process)."""
    request = context["request"]
    page = context.get("page")
    if isinstance(page, Page) and page.depth >= 2:
        # The site root is this page's ancestor at depth 2: its path is a prefix of ours.
        root_path = page.path[: Page.steplen * 2]
        return memo(request, ("menu", root_path), lambda: [
            PageLink(item, request) for item in Page.objects.live().in_menu().filter(depth=3, path__startswith=root_path)
        ])
    site = site_for(request) if getattr(getattr(request, "tenant", None), "kind", None) == "clinic" else Site.find_for_request(request)
    if site is None:
        return []
    return memo(request, ("menu", site.root_page_id), lambda: [PageLink(item, request) for item in site.root_page.get_children().live().in_menu()])


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
