"""The clinic's staff admin: registrations only (viewsets and views live in clinic/admin/)."""

from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy

from . import dashboard, onboarding
from .actions.log import register_clinic_log_actions
from .admin import agenda, billing, cash, desk, invoices, refunds, team
from .admin.costs import CostsViewSetGroup
from .admin.appointments import AppointmentViewSet, PatientPaymentViewSet, RefundViewSet, SeenWithPaymentsPolicy
from .admin.viewsets import (
    ContactMessageViewSet, EquipmentViewSet, PatientViewSet, PractitionerViewSet, RoomViewSet, ServiceCategoryViewSet, ServiceViewSet,
    SupplierViewSet, TimeOffViewSet, WorkingHoursViewSet,
)
from .models import Refund
from .roles import is_clinic_admin
from .staff_admin import refuse_bulk_actions_on_patients

register_permission_policy(Refund, SeenWithPaymentsPolicy())


class ClinicViewSetGroup(ViewSetGroup):
    menu_label = _("Clinic")
    menu_icon = "group"
    menu_order = 150
    items = (
        AppointmentViewSet, PatientPaymentViewSet, RefundViewSet, ServiceViewSet, ServiceCategoryViewSet, PractitionerViewSet,
        WorkingHoursViewSet, TimeOffViewSet, RoomViewSet, EquipmentViewSet, SupplierViewSet, ContactMessageViewSet,
    )


hooks.register("register_log_actions", register_clinic_log_actions)


@hooks.register("register_admin_viewset")
def register_clinic_viewsets():
    return ClinicViewSetGroup()


@hooks.register("register_admin_viewset")
def register_costs_viewsets():
    return CostsViewSetGroup()


@hooks.register("register_admin_viewset")
def register_invoice_viewset():
    return invoices.InvoiceViewSet("invoices")


@hooks.register("register_admin_urls")
def register_invoice_urls():
    urls = [
        path("nueva/", invoices.issue_view, name="issue"),
        path("<int:pk>/", invoices.detail_view, name="detail"),
        path("<int:pk>/pdf/", invoices.pdf_view, name="pdf"),
        path("<int:pk>/rectificar/", invoices.credit_view, name="credit"),
    ]
    return [
        path("facturas/", include((urls, "clinic_invoice"), namespace="clinic_invoice")),
        path("pagos/<int:pk>/devolver/", refunds.refund_view, name="clinic_refund_payment"),
        path("caja/", cash.cash_view, name="clinic_cash"),
    ]


@hooks.register("register_admin_viewset")
def register_patient_viewset():
    # Add and edit contact data; the menu's "Patients" is the directory (clinic.records).
    return PatientViewSet()


# Users pages: clinic.staff_admin.StaffUserViewSet, through ClinicUsersAppConfig (clinic/apps.py).
hooks.register("before_bulk_action", refuse_bulk_actions_on_patients)


@hooks.register("register_admin_urls")
def register_billing_urls():
    return [
        path("facturacion/", billing.billing, name="clinic_billing"),
        path("facturacion/tarjeta/", billing.billing_card, name="clinic_billing_card"),
        path("facturacion/facturas/<int:invoice_id>.pdf", billing.billing_invoice_pdf, name="clinic_billing_invoice"),
    ]


@hooks.register("register_admin_urls")
def register_agenda_urls():
    urls = [
        path("", agenda.day_view, name="day"),
        path("semana/", agenda.week_view, name="week"),
        path("cita/<int:pk>/", agenda.appointment_view, name="appointment"),
        path("cita/<int:pk>/estado/", agenda.change_status_view, name="status"),
        path("cita/<int:pk>/mover/", agenda.move_view, name="move"),
        path("cita/<int:pk>/serie/cancelar/", agenda.cancel_series_view, name="cancel_series"),
    ]
    desk_urls = [path("cita/", desk.book_view, name="book")]
    team_urls = [
        path("", team.team_view, name="team"),
        path("profesional/<int:pk>/horario/", team.hours_view, name="hours"),
        path("profesional/<int:pk>/ausencias/", team.time_off_view, name="time_off"),
        path("festivos/", team.time_off_view, name="holidays"),
    ]
    return [
        path("equipo/", include((team_urls, "clinic_team"), namespace="clinic_team")),
        path("agenda/", include((urls, "clinic_agenda"), namespace="clinic_agenda")),
        path("recepcion/", include((desk_urls, "clinic_desk"), namespace="clinic_desk")),
    ]


class StaffMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_admin_menu_item")
def register_agenda_menu_item():
    return StaffMenuItem(_("Agenda"), reverse_lazy("clinic_agenda:day"), icon_name="calendar-alt", order=1, permission="clinic.view_appointment")


@hooks.register("register_admin_menu_item")
def register_desk_menu_item():
    return StaffMenuItem(_("New appointment"), reverse_lazy("clinic_desk:book"), icon_name="plus", order=2, permission="clinic.add_appointment")


@hooks.register("register_admin_menu_item")
def register_cash_menu_item():
    return StaffMenuItem(_("Cash close"), reverse_lazy("clinic_cash"), icon_name="doc-full", order=4, permission="clinic.view_cashclose")


@hooks.register("register_admin_menu_item")
def register_team_menu_item():
    return StaffMenuItem(_("Team"), reverse_lazy("clinic_team:team"), icon_name="group", order=3, permission="clinic.view_practitioner")


@hooks.register("register_admin_menu_item")
def register_billing_menu_item():
    return billing.BillingMenuItem(_("Plan and billing"), reverse_lazy("clinic_billing"), icon_name="credit-card", order=900)


hooks.register("construct_homepage_panels", dashboard.construct_panels)
hooks.register("construct_homepage_panels", onboarding.add_panel)


@hooks.register("construct_main_menu")
def hide_wagtail_help(request, menu_items):
    """Wagtail's release notes and editor guide are not a clinic's help."""
    menu_items[:] = [item for item in menu_items if item.name != "help"]


@hooks.register("construct_homepage_panels")
def add_billing_notice(request, panels):
    clinic = request.tenant
    if clinic.status != clinic.Status.ACTIVE and is_clinic_admin(request.user):
        panels.insert(0, billing.BillingNoticePanel(clinic))


@hooks.register("before_serve_document")
def documents_for_signed_in_staff_only(document, request):
    """In a clinic, "Private, accessible to logged-in users" on a collection means staff.

    Anyone can sign up as a patient at a clinic's site, so Wagtail's own reading (any
    signed-in account) handed such documents to every patient (found trying the product,
    issue 8). Runs after Wagtail's own check has sent anonymous visitors to sign in.
    """
    from django.core.exceptions import PermissionDenied
    from wagtail.models import BaseViewRestriction

    restricted = any(r.restriction_type == BaseViewRestriction.LOGIN for r in document.collection.get_view_restrictions())
    if restricted and request.user.is_authenticated and not request.user.has_perm("wagtailadmin.access_admin"):
        raise PermissionDenied



class NoticesMenuItem(MenuItem):
    """The bell: "Notifications (3)" at the top of the sidebar for any staff member, with a
    badge (clinic/static/clinic/notices.css). The count is cached a minute per user
    (clinic.notices.unread_count), so a page load costs one cache read."""

    def render_component(self, request):
        from wagtail.admin.ui.sidebar import LinkMenuItem

        from .notices import unread_count

        count = unread_count(request.user)
        label = _("Notifications (%(count)s)") % {"count": count} if count else _("Notifications")
        attrs = {"data-unread": str(count)} if count else {}
        return LinkMenuItem(self.name, label, self.url, icon_name=self.icon_name, classname=self.classname, attrs=attrs)


@hooks.register("register_admin_menu_item")
def register_notices_menu_item():
    return NoticesMenuItem(_("Notifications"), reverse_lazy("clinic_notices:list"), name="notifications", icon_name="bell", order=0)


@hooks.register("register_admin_urls")
def register_notices_urls():
    from .admin import notices

    urls = [
        path("", notices.notices_view, name="list"),
        path("leido/", notices.mark_read_view, name="read"),
        path("todo-leido/", notices.mark_all_read_view, name="read_all"),
        path("resumen/", notices.summary_preference_view, name="summary"),
    ]
    return [
        path("avisos/", include((urls, "clinic_notices"), namespace="clinic_notices")),
        path("agenda/cita/<int:pk>/confirmada/", notices.confirmed_by_phone_view, name="clinic_confirmed_by_phone"),
    ]


@hooks.register("register_icons")
def register_bell_icon(icons):
    return icons + ["clinic/icons/bell.svg"]


@hooks.register("insert_global_admin_css")
def notices_css():
    from django.templatetags.static import static
    from django.utils.html import format_html

    return format_html('<link rel="stylesheet" href="{}">', static("clinic/notices.css"))


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    """Account → two-factor sign-in (allauth's pages on the clinic's site: set up, recovery
    codes, switch off)."""
    from django.urls import reverse

    from portal.mfa import has_totp

    on = has_totp(request.user)
    return {
        "url": reverse("mfa_index"),
        "label": _("Two-factor sign-in"),
        "help_text": _("On: your sign-in asks for a code from your authenticator app.") if on
        else _("Off: set up an authenticator app so that your sign-in also asks for a code."),
    }
