"""The patient file in the staff admin (/admin/pacientes/…), registered in wagtail_hooks.

Every view looks the patient up, checks the role (clinic.records.access) and writes
the access log for what it shows of clinical data. Changes go through
clinic.records.actions. Files come out only through ``document_view`` and
``photo_view``, which check the user; private storage has no URL.
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from clinic.actions.base import ActionError
from clinic.availability import parse_id
from clinic.models import Appointment, Patient, PatientPayment
from clinic.models.people import search_index_preferred
from portal.tenancy import clinic_zone

from . import chart as odontogram_chart
from .access import can_read_clinical, can_see_document, can_see_private_note, can_write_clinical, record_access, require_clinical
from .actions import (
    AddAddendum, ArchivePatient, CreateVisit, MergePatients, RestorePatient, SaveMedicalHistory, SaveOdontogram, ShareDocument, UpdateVisit,
    UploadDocument,
)
from .export import access_entries, record_data, record_pdf
from .files import serve_document
from .forms import AddendumForm, DocumentForm, HistoryForm, MergeForm, ToothForm, VisitForm
from .models import AccessLogEntry, ClinicalDocument, MedicalHistory, OdontogramVersion, Visit
from .odontogram import SURFACE_STYLE, TOOTH_STYLE, compare, describe, merge_tooth

Log = AccessLogEntry
PAGE_SIZE = 25
FILE_VISITS = 20
FILE_DOCUMENTS = 50


def bad_request(request, message, *, patient=None):
    back = reverse("clinic_records:patient", args=[patient.pk]) if patient else reverse("clinic_records:directory")
    return TemplateResponse(request, "records/bad_request.html", {"message": message, "back": back}, status=400)


def _require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied(permission)


def _patient(request, pk) -> Patient:
    _require(request, "clinic.view_patient")
    patient = Patient.objects.filter(pk=pk).select_related("merged_into").first()
    if patient is None:
        raise Http404
    return patient


def is_dental(request) -> bool:
    return getattr(request.tenant, "practice_type", "") == "dental"


# -- directory ----------------------------------------------------------------------------

def directory_view(request):
    """Every patient in daily use, searched by name, phone, e-mail, national ID or date of
    birth (Patient.objects.search), 25 a page. Clinic admins may list the archive."""
    _require(request, "clinic.view_patient")
    query = request.GET.get("q", "").replace("\x00", "")[:120]
    archived = request.GET.get("archivo") == "1" and request.user.has_perm("clinic.delete_patient")
    people = Patient.objects.filter(archived_at__isnull=not archived)
    if query.strip():
        people = people.search(query)
    people = people.order_by("last_name", "first_name", "pk").only(
        "first_name", "last_name", "phone", "email", "date_of_birth", "national_id", "alerts", "alert_note", "archived_at")
    with search_index_preferred():
        page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("p"))
        page.object_list = list(page.object_list)
    return TemplateResponse(request, "records/directory.html", {
        "page": page, "query": query, "archived": archived, "can_add": request.user.has_perm("clinic.add_patient"),
        "can_see_archive": request.user.has_perm("clinic.delete_patient"),
    })


# -- the file -----------------------------------------------------------------------------

def _money(patient):
    from clinic.balance import patient_balance

    payments = PatientPayment.objects.filter(patient=patient)
    return {"balance": patient_balance(patient), "recent": payments.select_related("appointment__service").order_by("-received_at")[:10]}


def patient_view(request, pk):
    patient = _patient(request, pk)
    user = request.user
    clinical = can_read_clinical(user)
    now = timezone.now()
    appointments = Appointment.objects.filter(patient=patient).select_related("service", "practitioner__user")
    context = {
        "patient": patient, "clinical": clinical, "can_write": can_write_clinical(user), "dental": is_dental(request),
        "upcoming": appointments.filter(start__gte=now).exclude(status=Appointment.Status.CANCELLED).order_by("start")[:5],
        "past": appointments.filter(start__lt=now).order_by("-start")[:10],
        "appointment_count": appointments.count(),
        "money": _money(patient),
        "documents": ClinicalDocument.objects.filter(patient=patient).visible_to(user).select_related("uploaded_by")[:FILE_DOCUMENTS],
        "can_upload": user.has_perm("records.add_clinicaldocument"),
        "can_edit_contact": user.has_perm("clinic.change_patient"),
        "can_archive": user.has_perm("clinic.delete_patient"), "can_merge": user.has_perm("clinic.merge_patient"),
        "can_read_log": user.has_perm("records.view_accesslogentry"),
        "can_book": user.has_perm("clinic.add_appointment"),
        "can_edit_history": user.has_perm("records.change_medicalhistory"),
        "invoices": patient.invoices.order_by("-pk")[:20] if user.has_perm("clinic.view_invoice") else None,
        "plans": patient.plans.order_by("-created")[:20] if user.has_perm("clinic.view_treatmentplan") else None,
    }
    if clinical:
        visits = Visit.objects.filter(patient=patient).select_related("practitioner__user").annotate(addenda_count=Count("addenda")).order_by("-date", "-opened_at")
        current = OdontogramVersion.objects.filter(patient=patient).select_related("author").first()
        context.update({
            "history": MedicalHistory.objects.filter(patient=patient).first(),
            "visits": visits[:FILE_VISITS], "visit_count": Visit.objects.filter(patient=patient).count(),
            "odontogram": current, "odontogram_svg": odontogram_chart.render(current.chart if current else {}, title=_("Current odontogram")),
            "odontogram_versions": OdontogramVersion.objects.filter(patient=patient).count(),
        })
        record_access(request, patient, Log.Action.VIEW, Log.Area.FILE)
    else:
        record_access(request, patient, Log.Action.VIEW, Log.Area.FILE)  # contact data and alerts only
    return TemplateResponse(request, "records/patient.html", context)


def photo_view(request, pk):
    patient = _patient(request, pk)
    if not patient.photo:
        raise Http404
    response = FileResponse(patient.photo.open("rb"), content_type="image/jpeg" if patient.photo.name.endswith((".jpg", ".jpeg")) else "image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- history ------------------------------------------------------------------------------

def history_view(request, pk):
    patient = _patient(request, pk)
    _require(request, "records.change_medicalhistory")
    history = MedicalHistory.objects.filter(patient=patient).first() or MedicalHistory(patient=patient)
    form = HistoryForm(request.POST or None, instance=history, initial={"alerts": patient.alerts, "alert_note": patient.alert_note})
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in MedicalHistory.FIELDS}
        SaveMedicalHistory(patient, data=data, alerts=form.cleaned_data["alerts"], alert_note=form.cleaned_data["alert_note"],
                           actor=request.user, request=request).execute()
        messages.success(request, _("Medical history of %(name)s saved.") % {"name": patient})
        return redirect("clinic_records:patient", patient.pk)
    if request.method == "GET":
        record_access(request, patient, Log.Action.VIEW, Log.Area.HISTORY)
    return TemplateResponse(request, "records/form.html", {"patient": patient, "form": form, "title": _("Medical history and alerts")},
                            status=400 if form.errors else 200)


# -- visits -------------------------------------------------------------------------------

def visits_view(request, pk):
    patient = _patient(request, pk)
    require_clinical(request.user)
    visits = Visit.objects.filter(patient=patient).select_related("practitioner__user").annotate(addenda_count=Count("addenda")).order_by("-date", "-opened_at")
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("p"))
    record_access(request, patient, Log.Action.VIEW, Log.Area.VISIT)  # the list of visits
    return TemplateResponse(request, "records/visits.html", {"patient": patient, "page": page, "can_write": can_write_clinical(request.user)})


def new_visit_view(request, pk):
    patient = _patient(request, pk)
    _require(request, "records.add_visit")
    form = VisitForm(request.POST or None, initial={"date": timezone.localdate(timezone.now(), clinic_zone())})
    if request.method == "POST" and form.is_valid():
        try:
            visit = CreateVisit(patient, data=form.cleaned_data, actor=request.user, request=request).execute()
        except ActionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Visit saved and signed."))
            return redirect("clinic_records:visit", visit.pk)
    return TemplateResponse(request, "records/form.html", {"patient": patient, "form": form, "title": _("New visit")}, status=400 if form.errors else 200)


def _visit(request, pk) -> Visit:
    require_clinical(request.user)
    visit = Visit.objects.for_patient_view().select_related("patient").filter(pk=pk).first()
    if visit is None:
        raise Http404
    return visit


def visit_view(request, pk):
    visit = _visit(request, pk)
    user = request.user
    editable = visit.author_id == user.pk and not visit.is_locked() and user.has_perm("records.change_visit")
    form = VisitForm(request.POST if request.method == "POST" and "save" in request.POST else None, instance=visit) if editable else None
    addendum_form = AddendumForm(request.POST if request.method == "POST" and "addendum" in request.POST else None)
    if request.method == "POST":
        try:
            if "save" in request.POST:
                if not editable:
                    raise PermissionDenied
                if form.is_valid():
                    data = {f: form.cleaned_data[f] for f in VisitForm.Meta.fields}
                    UpdateVisit(visit, data=data, actor=user, request=request).execute()
                    messages.success(request, _("Visit saved and signed."))
                    return redirect("clinic_records:visit", visit.pk)
            elif "addendum" in request.POST:
                _require(request, "records.add_addendum")
                if addendum_form.is_valid():
                    AddAddendum(visit, text=addendum_form.cleaned_data["text"], actor=user, request=request).execute()
                    messages.success(request, _("Addendum signed."))
                    return redirect("clinic_records:visit", visit.pk)
            else:
                return bad_request(request, _("Choose what to save."), patient=visit.patient)
        except ActionError as error:
            messages.error(request, error.message)
            return redirect("clinic_records:visit", visit.pk)
    else:
        record_access(request, visit.patient, Log.Action.VIEW, Log.Area.VISIT, visit.date.isoformat())
    if form is not None and request.method == "GET":
        form = VisitForm(instance=visit)
    context = {
        "visit": visit, "patient": visit.patient, "form": form, "addendum_form": addendum_form, "editable": editable,
        "private_note": visit.private_note if can_see_private_note(user, visit) else None,
        "documents": visit.documents.visible_to(user), "can_add_addendum": user.has_perm("records.add_addendum"),
        "locks_at": visit.locks_at,
    }
    has_errors = (form is not None and form.errors) or addendum_form.errors
    return TemplateResponse(request, "records/visit.html", context, status=400 if has_errors else 200)


# -- odontogram ---------------------------------------------------------------------------

def odontogram_view(request, pk):
    """The chart editor: the current version drawn by the server; saving makes a new version."""
    patient = _patient(request, pk)
    require_clinical(request.user)
    current = OdontogramVersion.objects.filter(patient=patient).select_related("author").first()
    chart = current.chart if current else {}
    can_save = request.user.has_perm("records.add_odontogramversion")
    form = ToothForm(request.POST or None, initial={"tooth": "11", "chart": json.dumps(chart)})
    if request.method == "POST":
        if not can_save:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["chart"]:
                    try:
                        submitted = json.loads(data["chart"])
                    except ValueError:
                        return bad_request(request, _("The odontogram must be a list of teeth."), patient=patient)
                    new_chart = submitted
                else:
                    new_chart = merge_tooth(chart, data["tooth"], state=data["state"], surfaces=form.surfaces(), note=data["note"])
                version = SaveOdontogram(patient, chart=new_chart, note=data["version_note"], actor=request.user, request=request).execute()
            except ActionError as error:
                form.add_error(None, error.message)
            except ValidationError as error:  # merge_tooth: the one tooth of the form without script
                form.add_error(None, error.messages[0])
            else:
                messages.success(request, _("Odontogram saved: version of %(date)s.") % {
                    "date": timezone.localtime(version.created, clinic_zone()).strftime("%d/%m/%Y %H:%M")})
                return redirect("clinic_records:odontogram", patient.pk)
    else:
        record_access(request, patient, Log.Action.VIEW, Log.Area.ODONTOGRAM)
    versions = OdontogramVersion.objects.filter(patient=patient).select_related("author")[:50]
    return TemplateResponse(request, "records/odontogram.html", {
        "patient": patient, "current": current, "svg": odontogram_chart.render(chart, interactive=can_save, title=_("Odontogram")),
        "rows": odontogram_chart.rows(chart), "legend": odontogram_chart.legend(), "form": form, "can_save": can_save,
        "chart_json": {"chart": chart, "tooth": TOOTH_STYLE, "surface": SURFACE_STYLE}, "versions": versions,
    }, status=400 if form.errors else 200)


def odontogram_version_view(request, pk, version_id):
    """One saved version, drawn, and what differs from the current chart."""
    patient = _patient(request, pk)
    require_clinical(request.user)
    version = get_object_or_404(OdontogramVersion.objects.select_related("author"), pk=version_id, patient=patient)
    current = OdontogramVersion.objects.filter(patient=patient).first()
    changes = compare(version.chart, current.chart) if current else []
    record_access(request, patient, Log.Action.VIEW, Log.Area.ODONTOGRAM, timezone.localtime(version.created, clinic_zone()).strftime("%d/%m/%Y %H:%M"))
    return TemplateResponse(request, "records/odontogram_version.html", {
        "patient": patient, "version": version, "current": current, "is_current": current and current.pk == version.pk,
        "svg": odontogram_chart.render(version.chart, highlight={c.tooth for c in changes}, title=str(version)),
        "rows": odontogram_chart.rows(version.chart), "legend": odontogram_chart.legend(),
        "changes": [{"tooth": c.tooth, "before": describe(c.before), "after": describe(c.after)} for c in changes],
    })


# -- documents ----------------------------------------------------------------------------

def upload_view(request, pk):
    patient = _patient(request, pk)
    _require(request, "records.add_clinicaldocument")
    clinical = can_write_clinical(request.user)
    form = DocumentForm(request.POST or None, request.FILES or None, patient=patient, clinical=clinical,
                        initial={"visit": request.GET.get("visita")} if clinical else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            UploadDocument(patient, upload=data["file"], kind=data["kind"], title=data["title"], visit=data.get("visit"),
                           shared_with_patient=data.get("shared_with_patient", False), administrative=data.get("administrative", not clinical),
                           actor=request.user, request=request).execute()
        except ActionError as error:
            form.add_error("file", error.message)
        else:
            messages.success(request, _("Document “%(title)s” added to the record.") % {"title": data["title"]})
            return redirect(reverse("clinic_records:patient", args=[patient.pk]) + "#documents")
    return TemplateResponse(request, "records/form.html", {"patient": patient, "form": form, "title": _("Add a document"), "multipart": True},
                            status=400 if form.errors else 200)


def _document(request, pk) -> ClinicalDocument:
    document = ClinicalDocument.objects.select_related("patient").filter(pk=pk).first()
    if document is None or not request.user.has_perm("clinic.view_patient") or not can_see_document(request.user, document):
        raise Http404  # the same answer whether it exists or not
    return document


@xframe_options_sameorigin  # the PDF preview frame on the file page
def document_view(request, pk):
    document = _document(request, pk)
    inline = request.GET.get("ver") == "1"
    record_access(request, document.patient, Log.Action.VIEW if inline else Log.Action.DOWNLOAD, Log.Area.DOCUMENT, document.title)
    return serve_document(document, inline=inline)


@require_POST
def share_document_view(request, pk):
    document = _document(request, pk)
    _require(request, "records.change_clinicaldocument")
    shared = request.POST.get("shared") == "1"
    ShareDocument(document, shared=shared, actor=request.user, request=request).execute()
    messages.success(request, _("“%(title)s” is now shared with the patient.") % {"title": document.title} if shared
                     else _("“%(title)s” is no longer shared with the patient.") % {"title": document.title})
    return redirect(reverse("clinic_records:patient", args=[document.patient_id]) + "#documents")


# -- export, archive, merge, log ----------------------------------------------------------

def export_view(request, pk, fmt):
    if fmt not in ("json", "pdf"):
        raise Http404
    patient = _patient(request, pk)
    require_clinical(request.user)
    data = record_data(patient, for_patient=False, user=request.user)
    data["patient"] = {"id": patient.pk, "name": str(patient), "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None}
    record_access(request, patient, Log.Action.EXPORT, Log.Area.RECORD, fmt.upper())
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="historia-{patient.pk}.json"'
        return response
    response = HttpResponse(record_pdf(patient, data, clinic_name=request.tenant.name), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="historia-{patient.pk}.pdf"'
    return response


@require_POST
def archive_view(request, pk):
    patient = _patient(request, pk)
    _require(request, "clinic.delete_patient")
    action = RestorePatient if request.POST.get("restore") == "1" else ArchivePatient
    try:
        action(patient, actor=request.user, request=request).execute()
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s restored from the archive.") % {"name": patient} if action is RestorePatient
                         else _("%(name)s archived: the record is kept and no longer appears in daily lists.") % {"name": patient})
    return redirect("clinic_records:patient", patient.pk)


def merge_view(request, pk):
    patient = _patient(request, pk)
    _require(request, "clinic.merge_patient")
    form = MergeForm(request.POST or None, initial={"duplicate": parse_id(request.GET.get("con"))})
    form.fields["duplicate"].queryset = Patient.objects.current().exclude(pk=patient.pk)
    query = request.GET.get("q", "").replace("\x00", "")[:120]
    with search_index_preferred():
        candidates = list(Patient.objects.current().exclude(pk=patient.pk).search(query).order_by("last_name", "first_name")[:20]) if query.strip() else []
    if request.method == "POST" and form.is_valid():
        try:
            MergePatients(patient, form.cleaned_data["duplicate"], actor=request.user, request=request).execute()
        except ActionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(other)s merged into %(name)s.") % {"other": form.cleaned_data["duplicate"], "name": patient})
            return redirect("clinic_records:patient", patient.pk)
    return TemplateResponse(request, "records/merge.html", {"patient": patient, "form": form, "query": query, "candidates": candidates},
                            status=400 if form.errors else 200)


def patient_log_view(request, pk):
    """Who opened this patient's record (clinic admins)."""
    patient = _patient(request, pk)
    _require(request, "records.view_accesslogentry")
    page = Paginator(access_entries(patient).order_by("-at", "-pk"), 50).get_page(request.GET.get("p"))
    return TemplateResponse(request, "records/patient_log.html", {"patient": patient, "page": page})
