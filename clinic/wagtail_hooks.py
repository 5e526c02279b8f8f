"""The clinic's staff admin: catalogue, team and website inbox, as Wagtail viewsets."""

from decimal import Decimal

from django import forms
from django.forms import modelform_factory
from django.urls import path, reverse_lazy
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from . import billing_views
from .actions.log import register_clinic_log_actions

from .models import Appointment, ContactMessage, Patient, PatientPayment, Practitioner, Refund, Service, ServiceCategory, TimeOff, WorkingHours
from .roles import is_clinic_admin
from .staff_admin import PractitionerAdminForm, refuse_bulk_actions_on_patients


class ClinicModelViewSet(ModelViewSet):
    """Admin pages for a clinic model at /admin/clinic/<model>/, URL names clinic_<model>:…"""

    def __init__(self, name=None, **kwargs):
        super().__init__(name or f"clinic_{self.model._meta.model_name}", **kwargs)

    @cached_property
    def url_prefix(self):
        return f"clinic/{self.model._meta.model_name}"


class ServiceAdminForm(WagtailAdminModelForm):
    """The deposit only counts under the deposit policy (issue 8, item 15: a deposit typed with
    the policy left at "patient chooses" was silently ignored by online booking), so say so."""

    def clean(self):
        data = super().clean()
        policy, deposit = data.get("payment_policy"), data.get("deposit")
        if deposit and policy != Service.PaymentPolicy.DEPOSIT:
            self.add_error("deposit", _("A deposit is only charged when the payment is “%(policy)s”. Choose that, or set the deposit to 0.")
                           % {"policy": Service.PaymentPolicy.DEPOSIT.label})
        elif policy == Service.PaymentPolicy.DEPOSIT and not deposit:
            self.add_error("deposit", _("Enter the deposit patients pay online."))
        return data


class ServiceViewSet(ClinicModelViewSet):
    model = Service
    icon = "list-ul"
    menu_label = _("Services")
    list_display = ["name", "category", "duration_minutes", "price", "deposit", "payment_policy", BooleanColumn("online_bookable"), BooleanColumn("active")]
    list_filter = ["category", "active", "online_bookable"]
    search_fields = ["name", "description"]
    edit_handler = ObjectList([
        FieldPanel("name"),
        FieldPanel("category"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("duration_minutes"), FieldPanel("buffer_minutes")], heading=_("Time")),
        FieldRowPanel([FieldPanel("price"), FieldPanel("payment_policy"), FieldPanel("deposit")], heading=_("Price")),
        FieldRowPanel([FieldPanel("online_bookable"), FieldPanel("active"), FieldPanel("sort_order")], heading=_("Visibility")),
    ], base_form_class=ServiceAdminForm)


class ServiceCategoryViewSet(ClinicModelViewSet):
    model = ServiceCategory
    icon = "folder-open-inverse"
    menu_label = _("Service categories")
    list_display = ["name", "sort_order"]
    form_fields = ["name", "description", "sort_order"]


class PractitionerViewSet(ClinicModelViewSet):
    model = Practitioner
    icon = "user"
    menu_label = _("Practitioners")
    list_display = ["display_name", "specialty", "licence_number", BooleanColumn("active")]
    list_filter = ["active", "services"]
    search_fields = ["user__first_name", "user__last_name", "user__email", "specialty"]
    panels = [
        FieldPanel("user"),
        FieldRowPanel([FieldPanel("title"), FieldPanel("specialty"), FieldPanel("licence_number")]),
        FieldPanel("photo"),
        FieldPanel("bio"),
        FieldPanel("services", widget=forms.CheckboxSelectMultiple),
        MultiFieldPanel([FieldPanel("active"), FieldPanel("sort_order")], heading=_("Visibility")),
    ]

    def get_edit_handler(self):
        # Staff only in the user picker (issue 8, #7).
        return ObjectList(self.panels, base_form_class=PractitionerAdminForm).bind_to_model(self.model)


class ContactMessageViewSet(ClinicModelViewSet):
    model = ContactMessage
    icon = "mail"
    menu_label = _("Contact messages")
    list_display = ["name", "email", "phone", "created", BooleanColumn("handled")]
    list_filter = ["handled"]
    search_fields = ["name", "email", "message"]
    inspect_view_enabled = True
    inspect_view_fields = ["name", "email", "phone", "message", "created", "emailed_at", "handled"]
    form_fields = ["handled"]  # staff mark messages handled; what the patient wrote is never edited
    copy_view_enabled = False  # messages only arrive from the website: no role has "add"


class PatientViewSet(ClinicModelViewSet):
    model = Patient
    icon = "user"
    menu_label = _("Patients")
    list_display = ["__str__", "email", "phone", "date_of_birth", "created"]
    search_fields = ["first_name", "last_name", "email", "phone", "national_id"]
    form_fields = ["first_name", "last_name", "email", "phone", "date_of_birth", "national_id"]
    inspect_view_enabled = True
    copy_view_enabled = False


class AppointmentAdminForm(WagtailAdminModelForm):
    """A desk booking (patient, service, practitioner, time; the price defaults to the
    service's) or, on an existing appointment, a move, a status change or a cancellation.
    Each is one action (clinic.actions); the form only checks what a person can fix."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "price" in self.fields:
            self.fields["price"].required = False
            self.fields["price"].help_text = _("Leave empty to use the service's price.")
        if "status" in self.fields and self.instance.pk:
            current = Appointment.Status(self.instance.status)
            allowed = {current, *Appointment.TRANSITIONS[current]}
            self.fields["status"].choices = [(value, label) for value, label in Appointment.Status.choices if value in allowed]

    def clean(self):
        data = super().clean()
        start = data.get("start")
        if start and not (1 < start.year < 9999):  # the end and buffer would overflow the calendar (a 500)
            self.add_error("start", _("Enter a date between the years 2 and 9998."))
        return data


class AppointmentCreateView(CreateView):
    """A desk booking through clinic.actions.BookAppointment (desk=True): a time the
    availability engine offers staff, never over another appointment (the database
    settles a race), the patient told by the usual confirmation e-mail."""

    def form_valid(self, form):
        from .actions import ActionError, BookAppointment

        data = form.cleaned_data
        try:
            self.object = BookAppointment(
                patient=data["patient"], service=data["service"], start=data["start"], practitioner=data["practitioner"],
                desk=True, price=data.get("price"), actor=self.request.user,
            ).execute()
        except ActionError as error:
            form.add_error(None, error.message)
            self.produced_error_code, self.produced_error_message = "validation_error", error.message
            return self.form_invalid(form)
        return self.save_action()


class AppointmentEditView(EditView):
    """Moves, status changes and cancellations from the admin, each through its action
    (clinic.actions): the patient is told, online payments are refunded on a
    cancellation (Stripe is called outside any transaction, so this view does not
    open Wagtail's), and each change is audited. A refused change is the form again
    with the reason; nothing is written."""

    def form_valid(self, form):
        from .actions import ActionError, RescheduleAppointment, change_status

        data, before = form.cleaned_data, Appointment.objects.select_related("practitioner").get(pk=self.object.pk)
        user, appointment = self.request.user, before
        try:
            if data["start"] != before.start or data["practitioner"] != before.practitioner:
                appointment = RescheduleAppointment(before, start=data["start"], practitioner=data["practitioner"], actor=user).execute()
            if data["status"] != before.status:
                change_status(appointment, data["status"], actor=user, reason=data.get("cancel_reason", ""))
        except ActionError as error:
            form.add_error(None, error.message)
            self.produced_error_code, self.produced_error_message = "validation_error", error.message
            return self.form_invalid(form)
        self.object = Appointment.objects.get(pk=appointment.pk)
        return self.save_action()


class AppointmentViewSet(ClinicModelViewSet):
    """The agenda as a list; staff book at the desk, move, check in, complete, mark
    no-shows and cancel here (the agenda views do the same through the same actions)."""

    add_view_class = AppointmentCreateView
    edit_view_class = AppointmentEditView

    def get_form_class(self, for_update=False):
        fields = ["practitioner", "start", "status", "cancel_reason"] if for_update else ["patient", "service", "practitioner", "start", "price"]
        return modelform_factory(Appointment, form=AppointmentAdminForm, fields=fields)

    model = Appointment
    icon = "date"
    menu_label = _("Appointments")
    list_display = ["start", "patient", "practitioner", "service", "status"]
    list_filter = ["status", "practitioner", "service"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__email"]
    ordering = ["-start"]
    inspect_view_enabled = True
    copy_view_enabled = False


class WorkingHoursViewSet(ClinicModelViewSet):
    model = WorkingHours
    icon = "time"
    menu_label = _("Working hours")
    list_display = ["practitioner", "get_weekday_display", "start", "end"]
    list_filter = ["practitioner", "weekday"]
    form_fields = ["practitioner", "weekday", "start", "end"]


class TimeOffViewSet(ClinicModelViewSet):
    model = TimeOff
    icon = "calendar-alt"
    menu_label = _("Time off and holidays")
    list_display = ["start", "end", "practitioner", "reason"]
    form_fields = ["practitioner", "start", "end", "reason"]


class RecordPaymentView(CreateView):
    """A desk payment through clinic.actions.RecordDeskPayment: in the clinic's currency,
    signed by whoever records it, audited."""

    def form_valid(self, form):
        from .actions import ActionError, RecordDeskPayment

        data = form.cleaned_data
        try:
            self.object = RecordDeskPayment(
                patient=data["patient"], appointment=data.get("appointment"), amount=data["amount"], method=data["method"],
                reference=data.get("reference", ""), actor=self.request.user,
            ).execute()
        except ActionError as error:
            form.add_error(None, error.message)
            self.produced_error_code, self.produced_error_message = "validation_error", error.message
            return self.form_invalid(form)
        return self.save_action()


class PatientPaymentViewSet(ClinicModelViewSet):
    """The ledger: online payments arrive by webhook; staff record desk payments here."""

    model = PatientPayment
    add_view_class = RecordPaymentView
    icon = "doc-full"
    menu_label = _("Patient payments")
    list_display = ["received_at", "patient", "amount", "currency", "method", "refunded_amount"]
    list_filter = ["method"]
    search_fields = ["patient__first_name", "patient__last_name", "reference"]
    form_fields = ["patient", "appointment", "amount", "method", "reference"]
    inspect_view_enabled = True
    copy_view_enabled = False


class SeenWithPaymentsPolicy(ModelPermissionPolicy):
    """Refunds are made by cancelling (or by the system), never typed in: whoever may see
    patient payments sees their refunds, failed ones included, and nobody edits them."""

    def __init__(self):
        super().__init__(Refund)

    def user_has_permission(self, user, action):
        return action == "view" and user.has_perm("clinic.view_patientpayment")


class RefundViewSet(ClinicModelViewSet):
    """Every refund with who asked, why, and what Stripe answered (a failed one stays here)."""

    model = Refund
    icon = "undo"
    menu_label = _("Refunds")
    list_display = ["created", "payment", "amount", "currency", "status", "reason", "requested_by", "failure_message"]
    list_filter = ["status"]
    form_fields = ["reason"]
    inspect_view_enabled = True
    copy_view_enabled = False


register_permission_policy(Refund, SeenWithPaymentsPolicy())


class ClinicViewSetGroup(ViewSetGroup):
    menu_label = _("Clinic")
    menu_icon = "group"
    menu_order = 150
    items = (
        AppointmentViewSet, PatientViewSet, PatientPaymentViewSet, RefundViewSet, ServiceViewSet, ServiceCategoryViewSet, PractitionerViewSet,
        WorkingHoursViewSet, TimeOffViewSet, ContactMessageViewSet,
    )


hooks.register("register_log_actions", register_clinic_log_actions)


@hooks.register("register_admin_viewset")
def register_clinic_viewsets():
    return ClinicViewSetGroup()


# Users pages: clinic.staff_admin.StaffUserViewSet, through ClinicUsersAppConfig (clinic/apps.py).
hooks.register("before_bulk_action", refuse_bulk_actions_on_patients)


@hooks.register("register_admin_urls")
def register_billing_urls():
    return [
        path("facturacion/", billing_views.billing, name="clinic_billing"),
        path("facturacion/tarjeta/", billing_views.billing_card, name="clinic_billing_card"),
    ]


class BillingMenuItem(MenuItem):
    def is_shown(self, request):
        return is_clinic_admin(request.user)


@hooks.register("register_admin_menu_item")
def register_billing_menu_item():
    return BillingMenuItem(_("Plan and billing"), reverse_lazy("clinic_billing"), icon_name="credit-card", order=900)


class BillingNoticePanel(Component):
    """On the dashboard of a clinic whose plan is unpaid: what it means and a way to pay."""

    order = 10
    template_name = "clinic/billing_panel.html"

    def __init__(self, clinic):
        self.clinic = clinic

    def get_context_data(self, parent_context):
        return {"clinic": self.clinic}


@hooks.register("construct_homepage_panels")
def add_billing_notice(request, panels):
    clinic = request.tenant
    if clinic.status != clinic.Status.ACTIVE and is_clinic_admin(request.user):
        panels.insert(0, BillingNoticePanel(clinic))


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

