"""A patient's record as plain data (JSON) and as a readable PDF.

``for_patient=True`` is what the patient downloads from their account: no private
notes, only documents shared with them, and who opened their record. Staff exports
(records.view_visit) hold every visit and document; private notes only where the
person exporting may read them.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.pdf import latin1
from portal.tenancy import clinic_zone

from .access import can_see_private_note
from .models import AccessLogEntry, ClinicalDocument, MedicalHistory, OdontogramVersion, Visit
from .odontogram import describe


def _local(value):
    return timezone.localtime(value, clinic_zone()).isoformat() if value else None


def record_data(patient, *, for_patient: bool, user=None) -> dict:
    history = MedicalHistory.objects.filter(patient=patient).first()
    visits = Visit.objects.filter(patient=patient).select_related("practitioner__user").prefetch_related("addenda__author").order_by("date", "opened_at")
    documents = ClinicalDocument.objects.filter(patient=patient).order_by("created")
    if for_patient:
        documents = documents.filter(shared_with_patient=True)
    current = OdontogramVersion.objects.filter(patient=patient).first()
    data = {
        "alerts": patient.alert_labels,
        "alert_note": patient.alert_note,
        "medical_history": history.as_data() if history else None,
        "visits": [],
        "odontogram": {"saved": _local(current.created), "teeth": current.chart,
                       "in_words": {t: describe(e) for t, e in current.chart.items()}} if current else None,
        "documents": [{"kind": d.get_kind_display(), "title": d.title, "uploaded": _local(d.created), "content_type": d.content_type, "size": d.size}
                      for d in documents],
    }
    for visit in visits:
        item = {**visit.as_data(private=not for_patient and user is not None and can_see_private_note(user, visit)),
                "practitioner": visit.practitioner.display_name, "signed": _local(visit.signed_at),
                "addenda": [{"text": a.text, "signed": _local(a.created), "by": a.author.get_full_name() or a.author.email} for a in visit.addenda.all()]}
        if for_patient:
            item.pop("private_note", None)
        data["visits"].append(item)
    if for_patient:
        data["access_log"] = [
            {"when": _local(e.at), "who": e.who or _("the system"), "role": e.role, "action": e.get_action_display(), "what": e.what}
            for e in access_entries(patient)
        ]
    return data


def access_entries(patient):
    """The access log of a patient, including records later merged into theirs."""
    from clinic.models import Patient

    merged = list(Patient.objects.filter(merged_into=patient).values_list("pk", flat=True))
    return AccessLogEntry.objects.filter(patient_id__in=[patient.pk, *merged])




def record_pdf(patient, data: dict, *, clinic_name: str) -> bytes:
    """The same record, readable on paper."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(latin1(_("Clinical record of %(name)s") % {"name": patient}))

    def heading(text, size=13):
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def line(label, value):
        if value in (None, "", []):
            return
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5, latin1(label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, latin1(value), new_x="LMARGIN", new_y="NEXT")

    heading(clinic_name, 15)
    heading(_("Clinical record of %(name)s") % {"name": patient})
    line(_("Date of birth"), patient.date_of_birth.strftime("%d/%m/%Y") if patient.date_of_birth else "")
    line(_("Printed"), timezone.localtime(timezone.now(), clinic_zone()).strftime("%d/%m/%Y %H:%M"))
    line(_("Alerts"), ", ".join(data["alerts"]) + (f" ({data['alert_note']})" if data["alert_note"] else ""))
    if data["medical_history"]:
        heading(_("Medical history"))
        labels = {"conditions": _("Conditions"), "allergies": _("Allergies"), "medication": _("Current medication"),
                  "blood_group": _("Blood group"), "habits": _("Habits")}
        for key, label in labels.items():
            line(label, data["medical_history"].get(key))
    heading(_("Visits"))
    if not data["visits"]:
        pdf.multi_cell(0, 5, latin1(_("No visits yet.")), new_x="LMARGIN", new_y="NEXT")
    for visit in data["visits"]:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, latin1(f"{visit['date']} · {visit['practitioner']} · {visit['reason']}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for key, label in (("findings", _("Findings")), ("diagnosis", _("Diagnosis")), ("diagnosis_code", _("Diagnosis code")),
                           ("procedure", _("Procedure done")), ("prescriptions", _("Prescriptions")), ("private_note", _("Private note"))):
            line(label, visit.get(key))
        for addendum in visit["addenda"]:
            line(_("Addendum of %(date)s by %(name)s") % {"date": addendum["signed"][:16].replace("T", " "), "name": addendum["by"]}, addendum["text"])
    if data["odontogram"]:
        heading(_("Odontogram"))
        for tooth, words in data["odontogram"]["in_words"].items():
            pdf.multi_cell(0, 5, latin1(f"{tooth}: {words}"), new_x="LMARGIN", new_y="NEXT")
    if data["documents"]:
        heading(_("Documents"))
        for document in data["documents"]:
            pdf.multi_cell(0, 5, latin1(f"{document['uploaded'][:10]} · {document['kind']} · {document['title']}"), new_x="LMARGIN", new_y="NEXT")
    if "access_log" in data:
        heading(_("Who opened your record"))
        for entry in data["access_log"][:500]:
            pdf.multi_cell(0, 5, latin1(f"{entry['when'][:16].replace('T', ' ')} · {entry['who']} · {entry['action']} · {entry['what']}"),
                           new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
