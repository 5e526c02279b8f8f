"""Invoices in the staff admin: the list (Wagtail's listing with filters and CSV export),
one invoice with its PDF and credit note, and issuing one from a completed appointment
or by hand. Every issue goes through clinic.actions.invoices."""

from decimal import Decimal, InvalidOperation

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import ProhibitNullCharactersValidator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from ..actions.base import ActionError
from ..actions.invoices import IssueCreditNote, IssueInvoice, Line, lines_for_appointment
from ..availability import BadRequest, parse_id
from ..invoice_pdf import invoice_pdf
from ..models import Appointment, Invoice, InvoicingSettings, Patient, PatientPayment, Service
from ..models.invoicing import paying_invoice


class InvoiceFilterSet(WagtailFilterSet):
    # A range of issue dates (issue 11: "CSV export of … invoices for a date range").
    issue_date = django_filters.DateFromToRangeFilter(label=gettext_lazy("Date of issue"), widget=DateRangePickerWidget)

    class Meta:
        model = Invoice
        fields = ["kind", "issue_date"]


class InvoiceIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().with_outstanding()


class InvoiceViewSet(ModelViewSet):
    """The list of invoices and credit notes with what is outstanding on each; filters by
    kind and a range of issue dates; CSV/XLSX export."""

    model = Invoice
    index_view_class = InvoiceIndexView
    filterset_class = InvoiceFilterSet
    icon = "doc-full"
    menu_label = gettext_lazy("Invoices")
    menu_order = 160
    add_to_admin_menu = True
    url_prefix = "facturas/lista"
    list_display = [TitleColumn("full_number", label=gettext_lazy("Number"), url_name="clinic_invoice:detail"), "issue_date", "recipient_name",
                    "get_kind_display", Column("total", label=gettext_lazy("Total")), Column("outstanding", label=gettext_lazy("Outstanding")), "currency"]
    list_export = ["series", "number", "kind", "issue_date", "issuer_tax_id", "recipient_name", "recipient_tax_id", "base", "tax", "total", "currency",
                   "corrects", "paid", "outstanding", "fingerprint"]
    export_headings = {"paid": gettext_lazy("Paid (less refunds)"), "outstanding": gettext_lazy("Outstanding")}
    export_filename = "facturas"
    search_fields = ["recipient_name", "recipient_tax_id", "series"]
    form_fields = []  # never edited: issued through IssueInvoice, corrected by credit notes

    def get_urlpatterns(self):
        return [pattern for pattern in super().get_urlpatterns() if pattern.name in ("index", "index_results")]

    def get_index_view_kwargs(self, **kwargs):
        # Invoices are issued from an appointment or a patient (clinic_invoice:issue), not "added".
        return super().get_index_view_kwargs(**{"add_url_name": None, **kwargs})


def _invoice(request, pk) -> Invoice:
    if not request.user.has_perm("clinic.view_invoice"):
        raise PermissionDenied
    return get_object_or_404(Invoice.objects.with_outstanding().select_related("patient", "corrects", "appointment__service"), pk=pk)


def detail_view(request, pk):
    """One invoice: its data and lines, its credit notes, what is paid and outstanding with
    the payments against it (for whoever also sees patient payments), and a link to
    record a desk payment against it."""
    invoice = _invoice(request, pk)
    sees_payments = request.user.has_perm("clinic.view_patientpayment")
    return TemplateResponse(request, "clinic/invoices/detail.html", {
        "invoice": invoice, "lines": invoice.lines.all(), "corrections": invoice.corrections.all(),
        "can_correct": request.user.has_perm("clinic.add_invoice") and invoice.kind == Invoice.Kind.INVOICE and not invoice.corrections.exists(),
        "payments": PatientPayment.objects.filter(paying_invoice(invoice.pk, invoice.appointment_id)).order_by("received_at") if sees_payments else None,
        "can_record_payment": request.user.has_perm("clinic.add_patientpayment") and invoice.is_invoice and invoice.outstanding > 0,
    })


def pdf_view(request, pk):
    invoice = _invoice(request, pk)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.full_number}.pdf"'
    return response


@require_POST
def credit_view(request, pk):
    invoice = _invoice(request, pk)
    if not request.user.has_perm("clinic.add_invoice"):
        raise PermissionDenied
    try:
        note = IssueCreditNote(invoice, reason=request.POST.get("reason", ""), actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
        return redirect("clinic_invoice:detail", invoice.pk)
    messages.success(request, _("Credit note %(number)s issued.") % {"number": note.full_number})
    return redirect("clinic_invoice:detail", note.pk)


class LineForm(forms.Form):
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), queryset=Service.objects.filter(active=True), required=False)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False, validators=[ProhibitNullCharactersValidator()])
    quantity = forms.DecimalField(label=gettext_lazy("Qty."), min_value=Decimal("0.01"), max_value=Decimal("1000"), decimal_places=2, initial=1, required=False)
    unit_price = forms.DecimalField(label=gettext_lazy("Price"), min_value=Decimal("0"), max_value=Decimal("99999999.99"), decimal_places=2, required=False)

    def line(self) -> Line | None:
        data = self.cleaned_data
        service = data.get("service")
        if not service and not data.get("description"):
            return None
        price = data.get("unit_price")
        if price is None:
            if not service:
                raise forms.ValidationError(_("Give the price of “%(line)s”.") % {"line": data["description"]})
            price = service.price
        return Line(description=data.get("description") or service.name, unit_price=price, quantity=data.get("quantity") or Decimal("1"),
                    tax_rate=service.tax_rate if service else Decimal("0"),
                    tax_exemption=(service.tax_exemption if service else Service._meta.get_field("tax_exemption").default) if not (service and service.tax_rate) else "",
                    service_id=service.pk if service else None)


LineFormSet = forms.formset_factory(LineForm, extra=4, max_num=20)


def issue_view(request):
    """Issue an invoice: for a completed appointment (``?cita=``), or by hand for a patient
    (``?paciente=``) with up to 20 lines from the catalogue or written in."""
    if not request.user.has_perm("clinic.add_invoice"):
        raise PermissionDenied
    try:
        appointment_id, patient_id = parse_id(request.GET.get("cita")), parse_id(request.GET.get("paciente"))
    except BadRequest:
        raise Http404 from None
    appointment = Appointment.objects.select_related("patient", "service").filter(pk=appointment_id).first() if appointment_id else None
    patient = appointment.patient if appointment else Patient.objects.filter(pk=patient_id).first() if patient_id else None
    if patient is None:
        raise Http404
    if appointment and appointment.status != Appointment.Status.COMPLETED:
        messages.error(request, _("Only a completed appointment is invoiced."))
        return redirect("clinic_agenda:appointment", appointment.pk)
    plan_item = appointment.plan_items.select_related("plan").first() if appointment else None
    if plan_item is not None:
        # Invoiced through its plan, by instalment: invoicing the visit too would bill it twice.
        messages.error(request, _("This visit is part of treatment plan %(plan)s: invoice it from the plan.") % {"plan": plan_item.plan.number})
        return redirect("clinic_records:plan", plan_item.plan_id)
    formset = None if appointment else LineFormSet(request.POST or None)
    lines = lines_for_appointment(appointment) if appointment else []
    if request.method == "POST":
        try:
            if formset is not None:
                if not formset.is_valid():
                    raise ActionError(_("Please correct the lines below."))
                lines = [line for form in formset for line in [form.line()] if line]
            invoice = IssueInvoice(patient, lines=lines, appointment=appointment, actor=request.user).execute()
        except (ActionError, forms.ValidationError, InvalidOperation) as error:
            message = getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))
            return TemplateResponse(request, "clinic/invoices/issue.html", {"patient": patient, "appointment": appointment, "lines": lines,
                                                                           "formset": formset, "error": message, "issuer": InvoicingSettings.load()}, status=400)
        messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.full_number})
        return redirect("clinic_invoice:detail", invoice.pk)
    return TemplateResponse(request, "clinic/invoices/issue.html", {"patient": patient, "appointment": appointment, "lines": lines, "formset": formset,
                                                                   "issuer": InvoicingSettings.load()})
