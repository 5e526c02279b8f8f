"""Issue 10: a clinical record in a real browser. The practitioner opens the day's patient
from the agenda and sees the allergy alert, completes the appointment and writes its
visit, marks two surfaces on the odontogram, and uploads an X-ray shared with the
patient; the patient then sees the visit and the X-ray in their account.
Screenshots in tests/artifacts/records-*.png."""

import io
import re
from datetime import time, timedelta
from decimal import Decimal

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.helpers import purge_clinical_rows

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def visit_day(django_db_blocker):
    """Committed set-up: in the dental clinic, the practitioner works all of today and the
    portal patient (allergic to penicillin) is in the room for an appointment that began
    ten minutes ago. Everything is put back afterwards."""
    from django.utils import timezone

    from clinic.models import Appointment, Patient, PatientPayment, Practitioner, WorkingHours
    from portal.tenancy import clinic_context, clinic_zone, public_context
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            zone = clinic_zone()
            now = timezone.localtime(timezone.now(), zone)
            practitioner = Practitioner.objects.active().select_related("user").order_by("sort_order").first()
            service = practitioner.services.filter(active=True).order_by("duration_minutes").first()
            patient = Patient.objects.get(email="paciente@sonrisa.example")
            mine = Appointment.objects.filter(patient=patient)
            purge_clinical_rows(patients=[patient], appointments=mine)  # leftovers of an interrupted run
            PatientPayment.objects.filter(patient=patient).delete()
            mine.delete()
            saved_hours = list(WorkingHours.objects.filter(practitioner=practitioner, weekday=now.weekday()).values_list("start", "end"))
            WorkingHours.objects.filter(practitioner=practitioner, weekday=now.weekday()).delete()
            WorkingHours.objects.create(practitioner=practitioner, weekday=now.weekday(), start=time(0), end=time(23, 55))
            Patient.objects.filter(pk=patient.pk).update(alerts=["allergy"], alert_note="Penicilina")
            # Ten minutes ago, but today (just after midnight it began at midnight).
            start = max(now - timedelta(minutes=10), now.replace(hour=0, minute=0)).replace(second=0, microsecond=0)
            appointment = Appointment.objects.create(patient=patient, practitioner=practitioner, service=service, start=start,
                                                     end=start + timedelta(minutes=service.duration_minutes), price=Decimal("50"),
                                                     status=Appointment.Status.IN_ROOM)
    yield {"clinic": clinic, "host": clinic.primary_host.split(":")[0], "appointment_pk": appointment.pk, "patient_pk": patient.pk,
           "practitioner_email": practitioner.user.email, "service": service.name, "day": now.date()}
    with django_db_blocker.unblock(), clinic_context(clinic):
        mine = Appointment.objects.filter(patient=patient)
        purge_clinical_rows(patients=[patient], appointments=mine)
        mine.delete()
        Patient.objects.filter(pk=patient.pk).update(alerts=[], alert_note="")
        WorkingHours.objects.filter(practitioner=practitioner, weekday=now.weekday()).delete()
        WorkingHours.objects.bulk_create(WorkingHours(practitioner=practitioner, weekday=now.weekday(), start=s, end=e) for s, e in saved_hours)


def sign_in(browser, site, email, *, next_url, viewport=(1280, 900), language="en"):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=language,
                                  extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    page.goto(site + f"/accounts/login/?next={next_url}")
    page.fill("#id_login", email)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    return page


def xray_png(tmp_path):
    from PIL import Image, ImageDraw

    image = Image.new("L", (480, 240), 25)
    draw = ImageDraw.Draw(image)
    for i in range(8):
        draw.rounded_rectangle((30 + i * 55, 50, 70 + i * 55, 190), radius=12, fill=190)
    path = tmp_path / "aleta-16.png"
    out = io.BytesIO()
    image.save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def test_a_visit_is_written_charted_and_shared(visit_day, browser, live_clinics, artifacts, tmp_path):
    site = live_clinics.format(host=visit_day["host"])
    appointment_pk, patient_pk = visit_day["appointment_pk"], visit_day["patient_pk"]
    shot = lambda page, name: page.screenshot(path=str(artifacts / f"records-{name}.png"), full_page=True)  # noqa: E731
    doctor = sign_in(browser, site, visit_day["practitioner_email"], next_url="/admin/agenda/")

    # 1. Today's agenda: the patient's block carries the alert; the appointment page says which.
    block = doctor.locator(f'a.agenda__block[href="/admin/agenda/cita/{appointment_pk}/"]')
    assert block.locator(".agenda__alert").count() == 1
    block.click()
    doctor.wait_for_url(re.compile(f"/admin/agenda/cita/{appointment_pk}/"))
    alerts = doctor.locator(".record-alerts").inner_text()
    assert "allergies" in alerts and "Penicilina" in alerts
    shot(doctor, "1-alert")

    # 2. Complete the appointment: its visit opens; write it and sign.
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Mark completed").click()
    doctor.get_by_role("link", name="Open the visit").click()
    doctor.wait_for_url(re.compile("/admin/pacientes/visita/"))
    assert visit_day["service"] in doctor.locator("input[name=reason]").input_value()
    doctor.fill("textarea[name=findings]", "Caries oclusal y mesial en 16. Sin dolor a la percusión.")
    doctor.fill("textarea[name=diagnosis]", "Caries de dentina en 16")
    doctor.fill("input[name=diagnosis_code]", "K02.1")
    doctor.fill("textarea[name=procedure]", "Obturación de composite en 16 (O, M), anestesia sin epinefrina.")
    doctor.fill("textarea[name=private_note]", "Prefiere citas de mañana.")
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Save and sign").click()
    assert "Visit saved and signed." in doctor.content()
    visit_url = doctor.url
    shot(doctor, "2-visit")

    # 3. The odontogram: two surfaces of 16 marked as caries by clicking them, then saved.
    doctor.get_by_role("link", name="Odontogram").click()
    doctor.wait_for_url(re.compile("/odontograma/"))
    doctor.locator('polygon[data-tooth="16"][data-surface="O"]').click()
    assert doctor.locator("select[name=tooth]").input_value() == "16"
    doctor.select_option("select[name=surface_O]", "caries")
    doctor.locator('polygon[data-tooth="16"][data-surface="M"]').focus()
    doctor.keyboard.press("Enter")  # the keyboard selects a surface too
    doctor.select_option("select[name=surface_M]", "caries")
    assert "16" in doctor.locator("#odontogram-pending").inner_text()
    doctor.fill("input[name=version_note]", "Caries en 16")
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Save odontogram").click()
    assert "Odontogram saved" in doctor.content()
    assert doctor.locator('polygon[data-tooth="16"][data-surface="O"]').get_attribute("fill") == "#d32f2f"
    assert "mesial: caries; occlusal / incisal: caries" in doctor.locator(".odontogram-table").inner_text()
    shot(doctor, "3-odontogram")

    # 4. Upload the bitewing X-ray to the visit, shared with the patient.
    doctor.goto(visit_url)
    doctor.get_by_role("link", name="Add a document").click()
    doctor.select_option("select[name=kind]", "xray")
    doctor.fill("input[name=title]", "Radiografía de aleta 16")
    doctor.set_input_files("input[name=file]", str(xray_png(tmp_path)))
    doctor.check("input[name=shared_with_patient]")
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Save").click()
    assert "Radiografía de aleta 16" in doctor.locator("#documents-section").inner_text()
    shot(doctor, "4-document")

    # 5. The patient, on a phone, in Spanish: the visit and the X-ray; never the private note.
    patient = sign_in(browser, site, "paciente@sonrisa.example", next_url="/cuenta/historial/", viewport=(390, 844), language="es")
    patient.goto(site + "/cuenta/historial/")
    page = patient.locator("main").inner_text()
    assert visit_day["service"] in page and "Radiografía de aleta 16" in page
    assert "Prefiere citas de mañana" not in patient.content()
    assert "Lucía Fernández" in page and "Consultó" in page  # who opened the record
    with patient.expect_download() as download:
        patient.get_by_role("link", name="Descargar").first.click()
    assert download.value.suggested_filename.startswith("Radiografía de aleta 16")
    shot(patient, "5-portal")
