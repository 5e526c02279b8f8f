"""A new clinic's first steps: what is still to do, from its real data, and whether
patients can book online yet.

Online booking opens by itself once at least one active practitioner with weekly
hours offers an active, online-bookable service; until then the website says "call
us" and the booking pages say so too (patients_portal, theme). The checklist on the
clinic admin's dashboard is computed each time from the data (nothing is ticked by
hand) and disappears when everything is done.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component

from .models import Practitioner


def booking_ready() -> bool:
    """Can a patient book anything online at this clinic? One query."""
    return (
        Practitioner.objects.active()
        .filter(working_hours__isnull=False, services__active=True, services__online_bookable=True)
        .exists()
    )


def booking_open(request) -> bool:
    """booking_ready(), once per request, and once per clinic generation in each process
    (portal.pagecache: practitioners, their hours and services bump it)."""
    from portal.pagecache import memo

    if not hasattr(request, "_clinic_booking_ready"):
        request._clinic_booking_ready = memo(request, "booking_ready", booking_ready)
    return request._clinic_booking_ready


@dataclass
class Step:
    title: str
    help: str
    done: bool
    url: str


def steps(request) -> list[Step]:
    from wagtail.models import ModelLogEntry, PageLogEntry, Site

    from theme.models import BrandSettings

    from .models import Service

    brand = BrandSettings.for_request(request)
    site = Site.find_for_request(request)
    practitioners_with_hours = Practitioner.objects.active().filter(working_hours__isnull=False)
    services_reviewed = ModelLogEntry.objects.filter(content_type__app_label="clinic", content_type__model="service", user__isnull=False).exists()
    published = PageLogEntry.objects.filter(action="wagtail.publish", user__isnull=False).exists()
    return [
        Step(_("Brand and logo"), _("Your logo and colours on the website and here."), bool(brand.logo_id),
             reverse("wagtailsettings:edit", args=["theme", "brandsettings", site.pk]) if site else ""),
        Step(_("First practitioner with hours"), _("Someone patients can book, with their weekly hours."), practitioners_with_hours.exists(),
             reverse("clinic_team:team")),
        Step(_("Services and prices"), _("Check the starter services and prices, or add your own (done once you have saved one)."),
             services_reviewed and Service.objects.active().exists(), reverse("clinic_service:index")),
        Step(_("Contact details"), _("Phone or e-mail, and address, shown on every page."), bool((brand.phone or brand.email) and brand.address),
             reverse("wagtailsettings:edit", args=["theme", "brandsettings", site.pk]) if site else ""),
        Step(_("Publish your website"), _("Edit the home page and publish it (done once someone of the clinic has published a page)."), published,
             reverse("wagtailadmin_explore", args=[site.root_page_id]) if site else ""),
    ]


class OnboardingPanel(Component):
    order = 5
    template_name = "clinic/onboarding_panel.html"

    def __init__(self, steps, booking):
        self.steps, self.booking = steps, booking

    def get_context_data(self, parent_context):
        done = sum(step.done for step in self.steps)
        return {"steps": self.steps, "done": done, "total": len(self.steps), "booking": self.booking}


def add_panel(request, panels):
    from .roles import is_clinic_admin

    if not is_clinic_admin(request.user):
        return
    found = steps(request)
    if not all(step.done for step in found):
        panels.insert(0, OnboardingPanel(found, booking_ready()))
