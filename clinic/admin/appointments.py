"""The agenda as a list, desk payments and refunds: Wagtail viewsets whose writes are clinic actions."""

from datetime import timedelta

import django_filters
from django import forms
from django.forms import modelform_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.views.generic.models import IndexView
from wagtail.permission_policies import ModelPermissionPolicy

from portal.tenancy import clinic_zone

from ..models import Appointment, Estimate, EstimateInstalment, Invoice, PatientPayment, Refund
from .viewsets import ClinicModelViewSet


def refused(view, form, error):
    """An action said no: the same form again, with its reason on top (nothing was written)."""
    form.add_error(None, error.message)
    view.produced_error_code, view.produced_error_message = "validation_error", error.message
    return view.form_invalid(form)


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
    settles a race), the patient told by the usual confirmation e-mail. Opening it sends
    staff to the desk booking page (find the patient, then a free time); the form
    stays for a booking typed in full."""

    def get(self, request, *args, **kwargs):
        from django.shortcuts import redirect
        from django.urls import reverse

        if not request.GET:
            return redirect(reverse("clinic_desk:book"))
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        from ..actions import ActionError, BookAppointment

        data = form.cleaned_data
        try:
            self.object = BookAppointment(
                patient=data["patient"], service=data["service"], start=data["start"], practitioner=data["practitioner"],
                desk=True, price=data.get("price"), actor=self.request.user,
            ).execute()
        except ActionError as error:
            return refused(self, form, error)
        return self.save_action()


class AppointmentEditView(EditView):
    """Moves, status changes and cancellations from the admin, each through its action
    (clinic.actions): the patient is told, online payments are refunded on a
    cancellation (Stripe is called outside any transaction, so this view does not
    open Wagtail's), and each change is audited. A refused change is the form again
    with the reason; nothing is written."""

    def form_valid(self, form):
        from ..actions import ActionError, RescheduleAppointment, change_status

        data, before = form.cleaned_data, Appointment.objects.select_related("practitioner").get(pk=self.object.pk)
        user, appointment = self.request.user, before
        try:
            if data["start"] != before.start or data["practitioner"] != before.practitioner:
                appointment = RescheduleAppointment(before, start=data["start"], practitioner=data["practitioner"], actor=user).execute()
            if data["status"] != before.status:
                change_status(appointment, data["status"], actor=user, reason=data.get("cancel_reason", ""))
        except ActionError as error:
            return refused(self, form, error)
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


class AppointmentChoiceField(forms.ModelChoiceField):
    """An appointment named by its local time in the clinic's zone (not UTC)."""

    def label_from_instance(self, obj):
        local = timezone.localtime(obj.start, clinic_zone())
        return f"{local:%d/%m/%Y %H:%M} · {obj.service} · {obj.practitioner}"


class InvoiceChoiceField(forms.ModelChoiceField):
    """An outstanding invoice named by its number and what is left to pay on it."""

    def label_from_instance(self, obj):
        from portal.money import format_money

        return _("%(number)s · %(outstanding)s outstanding of %(total)s") % {
            "number": obj.full_number, "outstanding": format_money(obj.outstanding, obj.currency), "total": format_money(obj.total, obj.currency)}


class InstalmentChoiceField(forms.ModelChoiceField):
    """An instalment of an accepted plan estimate, named by its plan, number and amount."""

    def label_from_instance(self, obj):
        from portal.money import format_money

        return _("%(plan)s · instalment %(n)s · %(amount)s") % {
            "plan": obj.estimate.number, "n": obj.sequence, "amount": format_money(obj.amount, obj.estimate.currency)}


class DeskPaymentForm(WagtailAdminModelForm):
    """The appointment list is the chosen patient's (or the last and next 60 days'), not
    every appointment the clinic ever had; the invoice list is the chosen patient's
    invoices with something outstanding (none until a patient is chosen)."""

    appointment = AppointmentChoiceField(queryset=Appointment.objects.none(), required=False, label=_("appointment"))
    invoice = InvoiceChoiceField(queryset=Invoice.objects.none(), required=False, label=_("invoice"),
                                 help_text=_("One of the patient's invoices with something outstanding."))
    instalment = InstalmentChoiceField(queryset=EstimateInstalment.objects.none(), required=False, label=_("plan instalment"),
                                       help_text=_("An instalment of one of the patient's accepted treatment plans."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [c for c in self.fields["method"].choices if c[0] != PatientPayment.Method.ONLINE]
        patient = self.data.get("patient") or self.initial.get("patient")
        appointments = Appointment.objects.exclude(status=Appointment.Status.CANCELLED).select_related("service", "practitioner__user")
        if str(patient or "").isdigit() and len(str(patient)) < 10:
            appointments = appointments.filter(patient_id=int(patient))
            self.fields["invoice"].queryset = Invoice.objects.payable().filter(patient_id=int(patient)).order_by("-pk")
            self.fields["instalment"].queryset = EstimateInstalment.objects.select_related("estimate__plan").filter(
                estimate__plan__patient_id=int(patient), estimate__status=Estimate.Status.ACCEPTED).order_by("estimate__plan", "sequence")
        else:
            now = timezone.now()
            appointments = appointments.filter(start__range=(now - timedelta(days=60), now + timedelta(days=60)))
        self.fields["appointment"].queryset = appointments.order_by("-start")


class RecordPaymentView(CreateView):
    """A desk payment through clinic.actions.RecordDeskPayment: in the clinic's currency,
    signed by whoever records it, audited. ``?patient=&appointment=`` (from the agenda)
    or ``?invoice=`` (from an invoice's page: its patient and what is outstanding) fill
    the form in."""

    def get_initial(self):
        initial = super().get_initial()
        for name in ("patient", "appointment", "invoice", "instalment"):
            value = self.request.GET.get(name, "")
            if value.isdigit() and len(value) < 10:
                initial[name] = int(value)
        if "invoice" in initial:
            invoice = Invoice.objects.payable().filter(pk=initial["invoice"]).first()
            if invoice is not None:
                initial["patient"], initial["amount"] = invoice.patient_id, invoice.outstanding
        if "instalment" in initial:
            from ..actions.plans import paid_toward

            instalment = EstimateInstalment.objects.select_related("estimate__plan").filter(pk=initial["instalment"]).first()
            if instalment is not None:
                initial["patient"], initial["amount"] = instalment.estimate.plan.patient_id, max(instalment.amount - paid_toward(instalment), 0)
        if "appointment" in initial:
            appointment = Appointment.objects.filter(pk=initial["appointment"]).first()
            if appointment is not None:
                from ..agenda import _paid

                initial["patient"] = appointment.patient_id
                initial["amount"] = max(appointment.price - _paid([appointment.pk]).get(appointment.pk, 0), 0) or None
        return initial

    def form_valid(self, form):
        from ..actions import ActionError, RecordDeskPayment

        data = form.cleaned_data
        try:
            self.object = RecordDeskPayment(
                patient=data["patient"], appointment=data.get("appointment"), invoice=data.get("invoice"), instalment=data.get("instalment"),
                amount=data["amount"],
                method=data["method"], reference=data.get("reference", ""), actor=self.request.user,
            ).execute()
        except ActionError as error:
            return refused(self, form, error)
        return self.save_action()


class PatientPaymentFilterSet(WagtailFilterSet):
    # A range of days in the clinic's zone (the active one): from the first day's 00:00 to
    # the last day's 23:59:59. A plain ``list_filter`` on a datetime matched one instant.
    received_at = django_filters.DateFromToRangeFilter(label=_("Received"), widget=DateRangePickerWidget)

    class Meta:
        model = PatientPayment
        fields = ["method", "received_at"]


def local_time(value):
    """An aware time as the clinic's wall clock, for the exports (not UTC)."""
    return timezone.localtime(value, clinic_zone()).replace(tzinfo=None) if value else value


class PatientPaymentIndexView(IndexView):
    custom_field_preprocess = {"received_at": {IndexView.FORMAT_CSV: lambda value: local_time(value).isoformat(sep=" ", timespec="seconds"),
                                               IndexView.FORMAT_XLSX: local_time}}

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("patient", "invoice")


class PatientPaymentViewSet(ClinicModelViewSet):
    """The ledger: online payments arrive by webhook; staff record desk payments here.
    The CSV/XLSX export filters by method and a range of days received (clinic time)."""

    index_view_class = PatientPaymentIndexView
    filterset_class = PatientPaymentFilterSet

    model = PatientPayment
    add_view_class = RecordPaymentView
    icon = "doc-full"
    menu_label = _("Patient payments")
    list_display = ["received_at", "patient", "amount", "currency", "method", "refunded_amount", "invoice"]
    list_export = ["received_at", "patient", "patient_id", "amount", "currency", "method", "refunded_amount", "reference", "appointment_id",
                   "invoice_number", "stripe_payment_intent", "receipt_number"]
    export_headings = {"invoice_number": _("Invoice"), "receipt_number": _("Receipt")}
    export_filename = "pagos"
    search_fields = ["patient__first_name", "patient__last_name", "reference"]
    form_fields = ["patient", "appointment", "invoice", "instalment", "amount", "method", "reference"]
    inspect_view_enabled = True

    def get_form_class(self, for_update=False):
        return modelform_factory(PatientPayment, form=DeskPaymentForm, fields=self.form_fields)

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
