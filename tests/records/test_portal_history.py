"""Issue 10, item 7: "Mi historial" in the patient's account, and "Descargar mis datos"
with the clinical record; a patient never sees private notes or another patient's
record; and the record's database rules exist in every clinic (cloned schemas too)."""

import json
from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse

from clinic.records.models import Visit
from portal.tenancy import clinic_context
from tests.helpers import text

pytestmark = pytest.mark.django_db
PRIVATE = "Paciente algo ansioso"


def test_mi_historial_shows_visits_documents_odontogram_and_log_but_no_private_note(records, as_role, clinic_a):
    page = as_role("patient").get(reverse("patients_portal:history"), HTTP_ACCEPT_LANGUAGE="es")
    words = text(page)
    assert page.status_code == HTTPStatus.OK
    assert "Mi historial" in words and "Control tras obturación" in words and "Dra. Lucía Fernández Ruiz" in words
    assert "Radiografía panorámica" in words  # shared
    assert "Consentimiento informado" not in words  # not shared
    assert "27 endodoncia; “Endodoncia 2023”" in words
    assert PRIVATE not in page.content.decode()
    with clinic_context(clinic_a):
        visit = Visit.objects.filter(patient=records["patient"]).first()
        assert visit.private_note and visit.findings
    assert visit.findings not in words  # the portal lists date, practitioner and reason


def test_the_odontogram_image_is_the_patients_own(records, as_role):
    image = as_role("patient").get(reverse("patients_portal:odontogram"))
    assert image.status_code == HTTPStatus.OK and image["Content-Type"].startswith("image/svg+xml")
    assert b'data-tooth="27"' in image.content and b'role="button"' not in image.content
    # Someone with no odontogram gets none (and never someone else's).
    assert as_role("reception").get(reverse("patients_portal:odontogram")).status_code == HTTPStatus.NOT_FOUND


def test_descargar_mis_datos_holds_the_record_without_private_notes(records, as_role):
    client = as_role("patient")
    data = json.loads(client.get(reverse("patients_portal:my_data")).content)
    record = data["clinical_record"]
    assert record["alerts"] and record["medical_history"]["allergies"].startswith("Penicilina")
    assert len(record["visits"]) >= 3 and all("private_note" not in v for v in record["visits"])
    assert record["odontogram"]["teeth"]["27"]["state"] == "root_canal"
    assert [d["title"] for d in record["documents"]] == ["Radiografía panorámica"]
    assert record["access_log"]
    assert PRIVATE not in json.dumps(data, ensure_ascii=False)
    pdf = client.get(reverse("patients_portal:my_data_pdf"))
    assert pdf.status_code == HTTPStatus.OK and pdf.content.startswith(b"%PDF-") and pdf["Content-Type"] == "application/pdf"


def test_the_pdf_has_no_private_note(records):
    from clinic.records.export import record_data

    with clinic_context(records["clinic"]):
        data = record_data(records["patient"], for_patient=True)
    assert PRIVATE not in json.dumps(data, ensure_ascii=False)  # the PDF is drawn from exactly this


def test_another_patient_reaches_nothing_of_this_record(records, as_role, clinic_a, host_client, password):
    from portal.models import User

    with clinic_context(clinic_a):
        User.objects.create_user(email="otra@example.com", password=password, first_name="Otra", last_name="Paciente")
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=User.objects.get(email="otra@example.com"), email="otra@example.com", verified=True, primary=True)
    other = host_client(clinic_a.primary_host)
    assert other.post("/accounts/login/", {"login": "otra@example.com", "password": password}).status_code == HTTPStatus.FOUND
    page = text(other.get(reverse("patients_portal:history")))
    assert "Control tras obturación" not in page and "Radiografía" not in page
    assert other.get(reverse("patients_portal:odontogram")).status_code == HTTPStatus.NOT_FOUND
    data = json.loads(other.get(reverse("patients_portal:my_data")).content)
    assert data["clinical_record"]["visits"] == [] and data["clinical_record"]["documents"] == []


@pytest.mark.parametrize("slug", ["sonrisa", "alamos"])
def test_every_clinic_schema_has_the_record_rules(slug):
    from tenants.models import Clinic

    clinic = Clinic.objects.get(slug=slug)
    with clinic_context(clinic), connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND NOT t.tgisinternal", [clinic.schema_name])
        triggers = {row[0] for row in cursor.fetchall()}
    assert {"records_visit_no_delete", "records_visit_lock", "records_addendum_no_change", "records_odontogram_no_change",
            "records_document_no_delete", "records_access_no_change", "clinic_patient_search_document"} <= triggers
