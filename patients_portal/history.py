"""The patient's own clinical record in their account: "Mi historial".

Past visits (date, practitioner, reason; never private notes), the documents the clinic
shared with them, their current odontogram as an image, and who opened their record
(the access log). Everything is looked up through the signed-in patient: an id typed
into the address bar finds nothing that is not theirs and shared. Each view is itself
written to the access log.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from clinic.records import chart
from clinic.records.access import record_access
from clinic.records.export import access_entries, record_data, record_pdf
from clinic.records.models import AccessLogEntry, ClinicalDocument, OdontogramVersion, Visit
from clinic.records.files import serve_document

from .services import patient_for

Log = AccessLogEntry


@login_required
def history(request):
    patient = patient_for(request.user)
    visits = Visit.objects.filter(patient=patient).select_related("practitioner__user").only(
        "date", "reason", "practitioner__title", "practitioner__user__first_name", "practitioner__user__last_name", "practitioner__user__email",
    ).order_by("-date", "-opened_at")
    current = OdontogramVersion.objects.filter(patient=patient).first()
    record_access(request, patient, Log.Action.VIEW, Log.Area.RECORD)
    return render(request, "patients_portal/history.html", {
        "visits": visits, "documents": ClinicalDocument.objects.filter(patient=patient, shared_with_patient=True),
        "odontogram": current, "rows": chart.rows(current.chart) if current else [],
        "log": access_entries(patient).order_by("-at", "-pk")[:200], "me": request.user.pk,
    })


@login_required
def document(request, document_id):
    patient = patient_for(request.user)
    item = ClinicalDocument.objects.filter(pk=document_id, patient=patient, shared_with_patient=True).first()
    if item is None:
        raise Http404
    inline = request.GET.get("ver") == "1"
    record_access(request, patient, Log.Action.VIEW if inline else Log.Action.DOWNLOAD, Log.Area.DOCUMENT, item.title)
    return serve_document(item, inline=inline)


@login_required
def odontogram_image(request):
    patient = patient_for(request.user)
    current = OdontogramVersion.objects.filter(patient=patient).first()
    if current is None:
        raise Http404
    record_access(request, patient, Log.Action.VIEW, Log.Area.ODONTOGRAM)
    svg = str(chart.render(current.chart, title=_("Odontogram of %(name)s") % {"name": patient}))
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def my_data_pdf(request):
    patient = patient_for(request.user)
    data = record_data(patient, for_patient=True)
    record_access(request, patient, Log.Action.EXPORT, Log.Area.RECORD, "PDF")
    response = HttpResponse(record_pdf(patient, data, clinic_name=request.tenant.name), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="mis-datos.pdf"'
    return response


@login_required
def invoice_pdf_view(request, invoice_id):
    """One of the patient's own invoices (or credit notes) as PDF; any other id is not found."""
    from clinic.invoice_pdf import invoice_pdf
    from clinic.models import Invoice

    patient = patient_for(request.user)
    invoice = Invoice.objects.filter(pk=invoice_id, patient=patient).select_related("corrects").first()
    if invoice is None:
        raise Http404
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.full_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
