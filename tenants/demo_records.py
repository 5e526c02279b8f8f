"""Clinical records for the demo clinics: histories with alerts, visits on the completed
demo appointments (and older ones), an odontogram with several versions in the
dental clinic, and two documents per featured patient (an X-ray image and a signed
consent PDF, one shared with the patient).

Run by seed_demo after seed_agenda (visits then also sit on last week's completed
appointments), and by the records tests on their own.
Idempotent: a patient who already has visits gets nothing added. Like demo_agenda,
these are fixtures written straight to the tables (no audit or access-log lines);
everything a person does afterwards goes through clinic.records.actions.
"""

import io
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from portal.tenancy import clinic_context, clinic_zone

HISTORIES = [
    {"allergies": "Penicilina (urticaria en 2015).", "conditions": "Fibrilación auricular.", "medication": "Sintrom 4 mg (acenocumarol).",
     "blood_group": "A+", "habits": "Exfumador desde 2019.", "alerts": ["allergy", "anticoagulants"], "alert_note": "Penicilina; Sintrom"},
    {"allergies": "", "conditions": "Diabetes tipo 2, controlada.", "medication": "Metformina 850 mg.", "blood_group": "0+",
     "habits": "Bruxismo nocturno.", "alerts": ["diabetes"], "alert_note": ""},
    {"allergies": "Látex.", "conditions": "Embarazo, segundo trimestre.", "medication": "Ácido fólico.", "blood_group": "B-", "habits": "",
     "alerts": ["pregnancy", "latex"], "alert_note": "2.º trimestre"},
    {"allergies": "", "conditions": "Hipertensión.", "medication": "Enalapril 10 mg.", "blood_group": "AB+", "habits": "Café, 3 al día.",
     "alerts": [], "alert_note": ""},
]
DENTAL_VISITS = [
    ("Revisión y limpieza", "Sarro supragingival moderado en sector anteroinferior. Encías con sangrado leve al sondaje.",
     "Gingivitis marginal.", "K05.1", "Tartrectomía completa. Instrucciones de higiene.", "Colutorio de clorhexidina 0,12 %, 2 veces al día, 10 días."),
    ("Dolor en molar inferior derecho", "Caries profunda en 46, cara oclusal y distal. Percusión negativa.", "Caries de dentina en 46.", "K02.1",
     "Obturación de composite en 46 (O, D) con anestesia local.", ""),
    ("Control tras obturación", "Obturación de 46 sin filtraciones. Sin sensibilidad.", "Evolución favorable.", "", "Pulido de la obturación.", ""),
    ("Fractura de incisivo", "Fractura del borde incisal de 11 tras caída.", "Fractura de esmalte y dentina sin exposición pulpar.", "S02.5",
     "Reconstrucción con composite de 11.", "Ibuprofeno 600 mg cada 8 h si dolor, máximo 3 días."),
]
MEDICAL_VISITS = [
    ("Consulta general", "TA 128/82. Auscultación normal.", "Sin hallazgos.", "Z00.0", "Exploración física completa.", ""),
    ("Dolor de garganta", "Faringe hiperémica, sin exudado. Afebril.", "Faringitis aguda vírica.", "J02.9", "Exploración ORL.",
     "Paracetamol 1 g cada 8 h, 5 días."),
    ("Revisión de analítica", "HbA1c 6,8 %. Colesterol LDL 118 mg/dl.", "Diabetes tipo 2 con buen control.", "E11.9", "Revisión de resultados.",
     "Continuar metformina 850 mg cada 12 h."),
]
ODONTOGRAM_VERSIONS = [
    ({"18": {"state": "extracted"}, "36": {"state": "crown"}, "46": {"state": "healthy", "surfaces": {"O": "caries", "D": "caries"}}},
     "Primera exploración"),
    ({"18": {"state": "extracted"}, "36": {"state": "crown"}, "46": {"state": "healthy", "surfaces": {"O": "filled", "D": "filled"}},
      "11": {"state": "healthy", "surfaces": {"O": "fracture"}}}, "Obturación de 46"),
    ({"18": {"state": "extracted"}, "36": {"state": "crown"}, "46": {"state": "healthy", "surfaces": {"O": "filled", "D": "filled"}},
      "11": {"state": "healthy", "surfaces": {"O": "filled"}}, "27": {"state": "root_canal", "note": "Endodoncia 2023"},
      "38": {"state": "to_extract"}}, "Reconstrucción de 11"),
]


def seed_records(clinic, *, now=None) -> int:
    """Records for the clinic's featured demo patients; returns how many visits were added."""
    with clinic_context(clinic):
        return _seed(clinic, now or timezone.now())


def _featured_patients(clinic):
    from clinic.models import Patient

    from .demo_agenda import demo_patients

    portal = Patient.objects.filter(user__email__startswith="paciente@").first()
    others = demo_patients(clinic)[:3]
    return [p for p in [portal, *others] if p is not None]


def _seed(clinic, now) -> int:
    from clinic.models import Appointment, Patient, Practitioner
    from clinic.records.models import ClinicalDocument, MedicalHistory, OdontogramVersion, Visit

    from tenants.models import Clinic

    dental = Clinic.objects.filter(pk=clinic.pk, practice_type="dental").exists()
    practitioners = list(Practitioner.objects.active().select_related("user").order_by("pk"))
    if not practitioners:
        return 0
    added = 0
    zone = clinic_zone()
    for index, patient in enumerate(_featured_patients(clinic)):
        if Visit.objects.filter(patient=patient).exists():
            continue
        history = HISTORIES[index % len(HISTORIES)]
        MedicalHistory.objects.update_or_create(patient=patient, defaults={
            k: history[k] for k in ("allergies", "conditions", "medication", "blood_group", "habits")} | {"updated_at": now})
        Patient.objects.filter(pk=patient.pk).update(alerts=history["alerts"], alert_note=history["alert_note"])
        practitioner = practitioners[index % len(practitioners)]
        texts = DENTAL_VISITS if dental else MEDICAL_VISITS
        # Older visits, months apart, then one on each completed demo appointment.
        for months, text in zip((14, 8, 3), texts):
            opened = now - timedelta(days=30 * months)
            Visit.objects.create(patient=patient, practitioner=practitioner, author=practitioner.user, date=timezone.localdate(opened, zone),
                                 opened_at=opened, signed_at=opened + timedelta(minutes=20), **_fields(text))
            added += 1
        for appointment in Appointment.objects.filter(patient=patient, status=Appointment.Status.COMPLETED).select_related("practitioner__user", "service"):
            Visit.objects.create(patient=patient, practitioner=appointment.practitioner, author=appointment.practitioner.user, appointment=appointment,
                                 date=timezone.localdate(appointment.start, zone), opened_at=appointment.end, signed_at=appointment.end + timedelta(minutes=10),
                                 **_fields(texts[-1], reason=appointment.service.name))
            added += 1
        first_visit = Visit.objects.filter(patient=patient).order_by("date").first()
        if dental:
            for step, (chart, note) in enumerate(ODONTOGRAM_VERSIONS):
                OdontogramVersion.objects.create(patient=patient, chart=chart, note=note, author=practitioner.user,
                                                 created=now - timedelta(days=30 * (14 - 5 * step)))
        if index < 2:
            title = "Radiografía panorámica" if dental else "Radiografía de tórax"
            image = ContentFile(_xray_png(), name="radiografia.png")
            ClinicalDocument.objects.create(patient=patient, visit=first_visit, kind=ClinicalDocument.Kind.XRAY, title=title, file=image,
                                            content_type="image/png", size=image.size, original_name="radiografia.png", shared_with_patient=True,
                                            uploaded_by=practitioner.user, created=now - timedelta(days=400))
            consent = ContentFile(_consent_pdf(clinic.name, str(patient)), name="consentimiento.pdf")
            ClinicalDocument.objects.create(patient=patient, kind=ClinicalDocument.Kind.CONSENT, title="Consentimiento informado", file=consent,
                                            content_type="application/pdf", size=consent.size, original_name="consentimiento.pdf", administrative=True,
                                            uploaded_by=practitioner.user, created=now - timedelta(days=420))
    return added


def _fields(text, *, reason=None) -> dict:
    visit_reason, findings, diagnosis, code, procedure, prescriptions = text
    return {"reason": reason or visit_reason, "findings": findings, "diagnosis": diagnosis, "diagnosis_code": code, "procedure": procedure,
            "prescriptions": prescriptions, "private_note": "Paciente algo ansioso; explicar cada paso antes de empezar."}


def _xray_png() -> bytes:
    """A grey, X-ray-like demo image (a real PNG, so previews and type checks work)."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("L", (640, 320), 20)
    draw = ImageDraw.Draw(image)
    for i in range(16):
        x = 40 + i * 36
        draw.rounded_rectangle((x, 60, x + 26, 150), radius=10, fill=200 - (i % 3) * 20)
        draw.rounded_rectangle((x, 170, x + 26, 260), radius=10, fill=190 - (i % 4) * 15)
    image = image.filter(ImageFilter.GaussianBlur(3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _consent_pdf(clinic_name: str, patient_name: str) -> bytes:
    from fpdf import FPDF

    from portal.pdf import latin1

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, latin1(f"{clinic_name}\nConsentimiento informado"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, latin1(f"D./D.ª {patient_name} declara haber sido informado/a del tratamiento, sus riesgos y alternativas, "
                                "y consiente su realización. Firmado en la clínica."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
