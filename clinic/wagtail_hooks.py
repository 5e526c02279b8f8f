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
    """Staff edits and desk bookings: the end follows the start, the price defaults to the
    service's, and a clash is a form error, not a crash (issue 8, item 15: "Añadir cita"
    answered 500 because nothing filled the price)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, help_text in (("end", _("Leave empty to use the service's duration.")), ("price", _("Leave empty to use the service's price."))):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = help_text

    def clean(self):
        from datetime import timedelta

        from django.core.exceptions import ValidationError

        data = super().clean()
        start, service = data.get("start"), data.get("service")
        if start and not (1 < start.year < 9999):  # the end and buffer would overflow the calendar (a 500)
            self.add_error("start", _("Enter a date between the years 2 and 9998."))
            return data
        end = data.get("end")
        if end and not (1 < end.year < 9999):
            self.add_error("end", _("Enter a date between the years 2 and 9998."))
            return data
        if service is not None:
            if start and not data.get("end") and "end" not in self.errors:
                data["end"] = start + timedelta(minutes=service.duration_minutes)
            if data.get("price") is None and "price" not in self.errors:
                data["price"] = service.price
            if not self.instance.pk:  # booked at the desk: paid at the desk, unless held for an online payment
                pending = data.get("status") == Appointment.Status.PENDING_PAYMENT
                self.instance.amount_online = service.online_amount(True) if pending else Decimal("0")
                if pending and not self.instance.amount_online:
                    self.add_error("status", _("This service is not paid online. Choose another status."))
        start, end, practitioner = data.get("start"), data.get("end"), data.get("practitioner")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        elif start and end and service and practitioner and data.get("status") in Appointment.BLOCKING:
            clash = (
                Appointment.objects.holding_time()
                .filter(practitioner=practitioner, occupied__overlap=(start, end + timedelta(minutes=service.buffer_minutes)))
                .exclude(pk=self.instance.pk)
            )
            if clash.exists():
                raise ValidationError(_("%(practitioner)s already has an appointment at that time.") % {"practitioner": practitioner})
        return data


class ClashIsAFormError:
    """The database's no-double-booking constraint settles the race the form's check cannot
    see (someone booked that time in between): the loser gets the form again, not a 500."""

    def form_valid(self, form):
        from django.db import IntegrityError

        try:
            return super().form_valid(form)
        except IntegrityError as error:
            if getattr(error.__cause__, "pgcode", None) != "23P01":  # exclusion_violation
                raise
            form.add_error(None, _("%(practitioner)s already has an appointment at that time.") % {"practitioner": form.cleaned_data.get("practitioner")})
            self.produced_error_code, self.produced_error_message = "validation_error", self.get_error_message()
            return self.form_invalid(form)


class AppointmentCreateView(ClashIsAFormError, CreateView):
    pass


class AppointmentEditView(ClashIsAFormError, EditView):
    """Cancelling from the admin goes through the booking service: the patient is told and
    any online payment refunded, the cancellation marked as the clinic's.

    The service talks to Stripe, so it runs before Wagtail's transaction, not inside
    it (no Stripe call in a transaction). If the refund cannot be requested, nothing
    changes and the form says why.
    """

    def form_valid(self, form):
        from .booking import BookingError, cancel_appointment

        before = Appointment.objects.get(pk=self.object.pk)
        if not (form.cleaned_data["status"] == Appointment.Status.CANCELLED and before.is_active):
            return super().form_valid(form)
        try:
            cancel_appointment(
                appointment=before, by=Appointment.CancelledBy.CLINIC, reason=form.cleaned_data.get("cancel_reason", ""),
                requested_by=self.request.user,
            )
        except BookingError as error:
            form.add_error(None, error.message)
            self.produced_error_message = error.message
            return self.form_invalid(form)
        # Other edits in the same submission are saved as usual, over the service's cancellation.
        after = Appointment.objects.get(pk=before.pk)
        form.instance.status, form.instance.cancelled_by, form.instance.cancel_reason = after.status, after.cancelled_by, after.cancel_reason
        return super().form_valid(form)


class AppointmentViewSet(ClinicModelViewSet):
    """The agenda as a list; staff confirm, complete, mark no-shows and cancel here."""

    add_view_class = AppointmentCreateView
    edit_view_class = AppointmentEditView

    def get_form_class(self, for_update=False):
        return modelform_factory(Appointment, form=AppointmentAdminForm, fields=self.form_fields)

    model = Appointment
    icon = "date"
    menu_label = _("Appointments")
    list_display = ["start", "patient", "practitioner", "service", "status"]
    list_filter = ["status", "practitioner", "service"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__email"]
    ordering = ["-start"]
    form_fields = ["patient", "practitioner", "service", "start", "end", "price", "status", "cancel_reason"]
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
    """A desk payment: in the clinic's currency, signed by whoever records it."""

    def save_instance(self):
        from django.db import connection

        self.form.instance.recorded_by = self.request.user
        self.form.instance.currency = connection.tenant.currency
        return super().save_instance()


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

