"""Treatment plans on the patient file (/admin/pacientes/plan/…), registered in wagtail_hooks.

The plan's pages live with the patient file because a plan is read and built on the
odontogram (a tooth and its surfaces are picked on the chart) and its reads are logged
like the rest of the record. Every change goes through clinic.actions.plans.
"""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinic.actions.appointments import BookingError
from clinic.actions.base import ActionError
from clinic.actions.plans import (
    DEFAULT_VALID_DAYS, AddPlanItem, AnswerEstimate, BookPlanItems, CancelPlan, ChangePlanItem, CreatePlan, DropPlanItem, IssueInstalmentInvoice,
    ItemData, PresentPlan, accepted_estimate, bookable, frozen_line, paid_toward, plan_progress, today,
)
from clinic.availability import BadRequest, find_slots, parse_id, parse_instant
from clinic.models import Estimate, EstimateInstalment, PlanItem, Practitioner, Service, TreatmentPlan
from clinic.models.enums import Surface
from portal.tenancy import clinic_zone

from . import chart as odontogram_chart
from .access import record_access
from .actions import UploadDocument
from .forms import NoNulMixin
from .models import AccessLogEntry, ClinicalDocument, OdontogramVersion
from clinic.plan_pdf import estimate_pdf
from .views import _patient, bad_request, is_dental

Log = AccessLogEntry
SLOT_DAYS = 21  # how far ahead the booking page looks for free times
SLOTS_SHOWN = 12


def _require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied(permission)


def _plan(request, plan_id) -> TreatmentPlan:
    _require(request, "clinic.view_treatmentplan")
    plan = TreatmentPlan.objects.select_related("patient", "practitioner__user").filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def _back(plan):
    return redirect("clinic_records:plan", plan.pk)


class PlanForm(NoNulMixin, forms.ModelForm):
    class Meta:
        model = TreatmentPlan
        fields = ["title", "practitioner", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = Practitioner.objects.select_related("user").filter(active=True)
        self.fields["practitioner"].label_from_instance = lambda p: p.display_name


class ItemForm(NoNulMixin, forms.Form):
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), queryset=Service.objects.none())
    tooth = forms.CharField(label=gettext_lazy("Tooth"), max_length=2, required=False, help_text=gettext_lazy("FDI number; pick it on the chart."))
    surfaces = forms.MultipleChoiceField(label=gettext_lazy("Surfaces"), choices=Surface.choices, required=False, widget=forms.CheckboxSelectMultiple)
    practitioner = forms.ModelChoiceField(label=gettext_lazy("Practitioner"), queryset=Practitioner.objects.none(), required=False)
    phase = forms.IntegerField(label=gettext_lazy("Phase"), min_value=1, max_value=20, initial=1)
    priority = forms.TypedChoiceField(label=gettext_lazy("Priority"), choices=PlanItem.Priority.choices, coerce=int, initial=PlanItem.Priority.NORMAL)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, max_value=50, initial=1)
    unit_price = forms.DecimalField(label=gettext_lazy("Unit price"), min_value=Decimal("0"), max_value=Decimal("9999999.99"), decimal_places=2,
                                    required=False, help_text=gettext_lazy("Empty: the catalogue's price."))
    discount_percent = forms.DecimalField(label=gettext_lazy("Discount %"), min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=2,
                                          initial=0, required=False)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False,
                                  help_text=gettext_lazy("Empty: the service's name."))

    def __init__(self, *args, dental: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.active()
        self.fields["practitioner"].queryset = Practitioner.objects.select_related("user").filter(active=True)
        self.fields["practitioner"].label_from_instance = lambda p: p.display_name
        if not dental:
            del self.fields["tooth"], self.fields["surfaces"]

    def data_for_action(self) -> ItemData:
        data = self.cleaned_data
        return ItemData(service=data["service"], tooth=data.get("tooth", ""), surfaces="".join(data.get("surfaces") or []),
                        practitioner=data.get("practitioner"), priority=data["priority"], phase=data["phase"], quantity=data["quantity"],
                        unit_price=data.get("unit_price"), discount_percent=data.get("discount_percent") or Decimal("0"),
                        description=data.get("description", ""))


class PresentForm(forms.Form):
    valid_until = forms.DateField(label=gettext_lazy("Valid until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    schedule = forms.ChoiceField(label=gettext_lazy("The patient pays"), choices=Estimate.Schedule.choices, initial=Estimate.Schedule.FULL)
    months = forms.IntegerField(label=gettext_lazy("Monthly instalments"), min_value=1, max_value=24, initial=3, required=False,
                                help_text=gettext_lazy("Only for monthly payment; the first is due on acceptance."))
    send_email = forms.BooleanField(label=gettext_lazy("E-mail the estimate to the patient"), required=False, initial=True)


class PaperForm(NoNulMixin, forms.Form):
    answer = forms.ChoiceField(label=gettext_lazy("The patient"), choices=[("accept", gettext_lazy("signed it: accepted")),
                                                                           ("reject", gettext_lazy("declined it"))], widget=forms.RadioSelect)
    scan = forms.FileField(label=gettext_lazy("Scan of the signed estimate"), required=False, help_text=gettext_lazy("PDF, PNG or JPEG; needed for an acceptance."))
    reason = forms.CharField(label=gettext_lazy("Reason given (if declined)"), max_length=255, required=False)


# -- pages --------------------------------------------------------------------------------

def new_plan_view(request, pk):
    patient = _patient(request, pk)
    _require(request, "clinic.add_treatmentplan")
    practitioner = Practitioner.objects.filter(user=request.user).first()
    form = PlanForm(request.POST or None, initial={"practitioner": practitioner})
    if request.method == "POST" and form.is_valid():
        try:
            plan = CreatePlan(patient, title=form.cleaned_data["title"], practitioner=form.cleaned_data["practitioner"], notes=form.cleaned_data["notes"],
                              actor=request.user).execute()
        except ActionError as error:
            form.add_error(None, error.message)
        else:
            record_access(request, patient, Log.Action.CREATE, Log.Area.PLAN, plan.number)
            return _back(plan)
    return TemplateResponse(request, "records/form.html", {"patient": patient, "form": form, "title": _("New treatment plan")},
                            status=400 if form.errors else 200)


def plan_view(request, plan_id):
    plan = _plan(request, plan_id)
    patient = plan.patient
    user = request.user
    dental = is_dental(request)
    items = list(plan.items.select_related("service", "practitioner__user", "appointment").order_by("phase", "position", "pk"))
    accepted = accepted_estimate(plan)
    lines = {line.item_id: line for line in accepted.lines.all()} if accepted else {}
    estimates = list(plan.estimates.select_related("presented_by", "recorded_by").order_by("-version"))
    live = next((e for e in estimates if e.status in (Estimate.Status.PRESENTED, Estimate.Status.ACCEPTED)), None)
    can_edit = user.has_perm("clinic.change_treatmentplan") and plan.is_editable and not patient.archived_at
    context = {
        "plan": plan, "patient": patient, "items": items, "estimates": estimates, "live": live, "accepted": accepted,
        "phases": _phases(items, lines, accepted), "progress": plan_progress(items, lines), "can_edit": can_edit, "dental": dental,
        "can_book": user.has_perm("clinic.add_appointment") and plan.status == TreatmentPlan.Status.ACCEPTED,
        "can_present": user.has_perm("clinic.change_treatmentplan") and plan.status == TreatmentPlan.Status.DRAFT,
        "can_record_paper": user.has_perm("clinic.change_estimate") and live is not None and live.is_open,
        "can_invoice": user.has_perm("clinic.add_invoice"),
        "instalments": _instalments(accepted) if accepted else [],
        "item_form": ItemForm(dental=dental, initial={"practitioner": plan.practitioner}) if can_edit else None,
        "present_form": PresentForm(initial={"valid_until": today() + timedelta(days=DEFAULT_VALID_DAYS), "send_email": bool(patient.email)}),
        "paper_form": PaperForm(),
    }
    if dental and can_edit:
        current = OdontogramVersion.objects.filter(patient=patient).first()
        # The teeth the plan already treats are framed, as changed teeth are on a version page.
        context["chart_svg"] = odontogram_chart.render(current.chart if current else {}, interactive=True, title=_("Pick the tooth and surfaces"),
                                                       highlight={item.tooth for item in items if item.tooth and item.status != PlanItem.Status.DROPPED})
    record_access(request, patient, Log.Action.VIEW, Log.Area.PLAN, plan.number)
    return TemplateResponse(request, "records/plan.html", context)


def _phases(items, lines, accepted):
    phases: dict[int, list] = {}
    for item in items:
        line = lines.get(item.pk)
        phases.setdefault(item.phase, []).append({
            "item": item, "line": line, "bookable": bool(accepted) and bookable(item) and line is not None,
            "booked": item.appointment if item.appointment_id and item.appointment.status != item.appointment.Status.CANCELLED else None,
        })
    return [{"number": n, "rows": rows, "bookable": [r for r in rows if r["bookable"]]} for n, rows in sorted(phases.items())]


def _instalments(estimate):
    out = []
    for instalment in estimate.instalments.all():
        paid = paid_toward(instalment)
        invoice = instalment.invoices.filter(kind="F1", corrections__isnull=True).first()
        out.append({"instalment": instalment, "paid": paid, "settled": paid >= instalment.amount, "invoice": invoice})
    return out


@require_POST
def item_add_view(request, plan_id):
    plan = _plan(request, plan_id)
    _require(request, "clinic.change_treatmentplan")
    form = ItemForm(request.POST, dental=is_dental(request))
    if not form.is_valid():
        messages.error(request, _("The item was not added: %(errors)s") % {"errors": " ".join(e for errors in form.errors.values() for e in errors)})
        return _back(plan)
    try:
        item = AddPlanItem(plan, form.data_for_action(), dental=is_dental(request), actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
    else:
        record_access(request, plan.patient, Log.Action.CHANGE, Log.Area.PLAN, f"{plan.number} · {item.label}")
        messages.success(request, _("“%(item)s” added to the plan.") % {"item": item.label})
    return _back(plan)


def _item(request, item_id) -> PlanItem:
    _require(request, "clinic.view_treatmentplan")
    item = PlanItem.objects.select_related("plan__patient", "service", "appointment").filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def item_edit_view(request, item_id):
    item = _item(request, item_id)
    plan = item.plan
    _require(request, "clinic.change_treatmentplan")
    dental = is_dental(request)
    initial = {"service": item.service, "tooth": item.tooth, "surfaces": list(item.surfaces), "practitioner": item.practitioner, "phase": item.phase,
               "priority": item.priority, "quantity": item.quantity, "unit_price": item.unit_price, "discount_percent": item.discount_percent,
               "description": item.description}
    form = ItemForm(request.POST or None, dental=dental, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ChangePlanItem(item, form.data_for_action(), dental=dental, actor=request.user).execute()
        except ActionError as error:
            form.add_error(None, error.message)
        else:
            record_access(request, plan.patient, Log.Action.CHANGE, Log.Area.PLAN, f"{plan.number} · {item.label}")
            return _back(plan)
    return TemplateResponse(request, "records/form.html", {"patient": plan.patient, "form": form, "title": _("Change “%(item)s”") % {"item": item.label}},
                            status=400 if form.errors else 200)


@require_POST
def item_drop_view(request, item_id):
    item = _item(request, item_id)
    _require(request, "clinic.change_treatmentplan")
    try:
        DropPlanItem(item, actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
    else:
        record_access(request, item.plan.patient, Log.Action.CHANGE, Log.Area.PLAN, f"{item.plan.number} · {item.label}")
        messages.success(request, _("“%(item)s” taken out of the plan.") % {"item": item.label})
    return _back(item.plan)


@require_POST
def present_view(request, plan_id):
    plan = _plan(request, plan_id)
    _require(request, "clinic.change_treatmentplan")
    form = PresentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The plan was not presented: %(errors)s") % {"errors": " ".join(e for errors in form.errors.values() for e in errors)})
        return _back(plan)
    data = form.cleaned_data
    try:
        estimate = PresentPlan(plan, valid_until=data["valid_until"], schedule=data["schedule"], months=data.get("months") or 1,
                               send_email=data["send_email"], actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
        return _back(plan)
    record_access(request, plan.patient, Log.Action.CREATE, Log.Area.PLAN, estimate.number)
    sent = data["send_email"] and plan.patient.email
    messages.success(request, (_("Estimate %(number)s presented and e-mailed to the patient.") if sent else _("Estimate %(number)s presented.")) % {
        "number": estimate.number})
    return _back(plan)


@require_POST
def paper_view(request, estimate_id):
    _require(request, "clinic.change_estimate")
    estimate = Estimate.objects.select_related("plan__patient").filter(pk=estimate_id).first()
    if estimate is None:
        raise Http404
    plan = estimate.plan
    form = PaperForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Nothing was recorded: %(errors)s") % {"errors": " ".join(e for errors in form.errors.values() for e in errors)})
        return _back(plan)
    accept = form.cleaned_data["answer"] == "accept"
    try:
        with transaction.atomic():
            document = None
            if accept and form.cleaned_data.get("scan"):
                document = UploadDocument(plan.patient, upload=form.cleaned_data["scan"], kind=ClinicalDocument.Kind.CONSENT,
                                          title=_("Signed estimate %(number)s") % {"number": estimate.number}, administrative=True,
                                          actor=request.user, request=request).execute()
            AnswerEstimate(estimate, accept=accept, via=Estimate.Via.PAPER, reason=form.cleaned_data.get("reason", ""), document=document,
                           actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
        return _back(plan)
    record_access(request, plan.patient, Log.Action.CHANGE, Log.Area.PLAN, estimate.number)
    messages.success(request, _("Acceptance of %(number)s recorded.") % {"number": estimate.number} if accept
                     else _("Rejection of %(number)s recorded.") % {"number": estimate.number})
    return _back(plan)


def estimate_view(request, estimate_id):
    _require(request, "clinic.view_estimate")
    estimate = Estimate.objects.select_related("plan__patient", "presented_by", "recorded_by", "accepted_user", "acceptance_document").filter(pk=estimate_id).first()
    if estimate is None:
        raise Http404
    record_access(request, estimate.plan.patient, Log.Action.VIEW, Log.Area.PLAN, estimate.number)
    if request.GET.get("pdf") == "1":
        response = HttpResponse(estimate_pdf(estimate), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{estimate.number}.pdf"'
        return response
    return TemplateResponse(request, "records/estimate.html", {
        "estimate": estimate, "plan": estimate.plan, "patient": estimate.plan.patient, "lines": estimate.lines.all(),
        "instalments": estimate.instalments.all()})


@require_POST
def cancel_plan_view(request, plan_id):
    plan = _plan(request, plan_id)
    _require(request, "clinic.change_treatmentplan")
    try:
        CancelPlan(plan, reason=request.POST.get("reason", ""), actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
    else:
        record_access(request, plan.patient, Log.Action.CHANGE, Log.Area.PLAN, plan.number)
        messages.success(request, _("Plan %(number)s cancelled.") % {"number": plan.number})
    return _back(plan)


@require_POST
def invoice_instalment_view(request, instalment_id):
    _require(request, "clinic.add_invoice")
    instalment = EstimateInstalment.objects.select_related("estimate__plan__patient").filter(pk=instalment_id).first()
    if instalment is None:
        raise Http404
    try:
        invoice = IssueInstalmentInvoice(instalment, actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
        return _back(instalment.estimate.plan)
    messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.full_number})
    return redirect("clinic_invoice:detail", invoice.pk)


# -- booking the accepted items -----------------------------------------------------------

def _free_after(plan, item, after):
    """The item's free times from ``after`` for SLOT_DAYS days, by the availability engine
    every booking uses (the item's practitioner, else the plan's, else anyone)."""
    start_day = timezone.localdate(after, clinic_zone())
    slots = find_slots(service=item.service, practitioner=item.practitioner or plan.practitioner, start=start_day,
                       end=start_day + timedelta(days=SLOT_DAYS), staff=True)
    return [slot for slot in slots if slot.start >= after]


def _proposal(plan, items):
    """The first free time for each item in turn, each after the one before; None for an
    item with no free time soon."""
    zone = clinic_zone()
    after = timezone.now()
    proposal = []
    for item in items:
        practitioner = item.practitioner or plan.practitioner
        slot = next(iter(_free_after(plan, item, after)), None)
        proposal.append({"item": item, "slot": slot, "start": timezone.localtime(slot.start, zone) if slot else None,
                         "practitioner": Practitioner.objects.select_related("user").get(pk=slot.practitioner_id) if slot else practitioner})
        if slot:
            after = slot.end
    return proposal


def book_view(request, plan_id):
    """Book one item (``?item=``) at a free time picked from the list, or a whole phase
    (``?fase=``) at the times proposed one after another: one click either way."""
    plan = _plan(request, plan_id)
    _require(request, "clinic.add_appointment")
    try:
        item_id, phase = parse_id(request.GET.get("item")), parse_id(request.GET.get("fase"))
    except BadRequest as error:
        return bad_request(request, str(error), patient=plan.patient)
    if plan.status != TreatmentPlan.Status.ACCEPTED:
        messages.error(request, _("Only the items of an accepted plan are booked."))
        return _back(plan)
    items = [i for i in plan.items.select_related("service", "practitioner__user", "appointment").filter(status=PlanItem.Status.PLANNED)
             if bookable(i) and frozen_line(i) is not None]
    if item_id:
        items = [i for i in items if i.pk == item_id]
    elif phase:
        items = [i for i in items if i.phase == phase]
    else:
        items = []
    if not items:
        messages.error(request, _("There is nothing left to book in this phase."))
        return _back(plan)
    if request.method == "POST":
        try:
            bookings = _bookings_from(request, plan, items)
            BookPlanItems(plan, bookings, actor=request.user).execute()
        except BadRequest as error:
            return bad_request(request, str(error), patient=plan.patient)
        except (ActionError, BookingError) as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Booked: %(items)s.") % {"items": ", ".join(item.label for item, _start, _who in bookings)})
            return _back(plan)
    context = {"plan": plan, "patient": plan.patient, "items": items, "phase": phase}
    if item_id:
        zone = clinic_zone()
        slots = _free_after(plan, items[0], timezone.now())[:SLOTS_SHOWN]
        people = {p.pk: p for p in Practitioner.objects.select_related("user").filter(pk__in={s.practitioner_id for s in slots})}
        context["slots"] = [{"start": timezone.localtime(s.start, zone), "value": s.start.isoformat(), "practitioner": people[s.practitioner_id]} for s in slots]
    else:
        context["proposal"] = _proposal(plan, items)
        context["complete"] = all(row["slot"] for row in context["proposal"])
    return TemplateResponse(request, "records/plan_book.html", context)


def _bookings_from(request, plan, items):
    """``inicio-<item>`` and ``profesional-<item>`` of the posted form, checked: an aware
    time within the staff horizon and a practitioner who offers the service."""
    now = timezone.now()
    out = []
    for item in items:
        start = parse_instant(request.POST.get(f"inicio-{item.pk}"), now - timedelta(hours=12), now + timedelta(days=800))
        practitioner_id = parse_id(request.POST.get(f"profesional-{item.pk}"))
        practitioner = Practitioner.objects.filter(pk=practitioner_id, active=True).first() if practitioner_id else None
        if practitioner is None:
            raise BadRequest(_("That choice is not valid."))
        out.append((item, start, practitioner))
    return out
