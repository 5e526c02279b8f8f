"""Issue 10, item 1: the patient directory (name, phone, e-mail, national ID, date of
birth; accents and case ignored; paging) and merging duplicates (admins only;
everything moves; audited)."""

from http import HTTPStatus

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from clinic.actions.base import ActionError, ActionPermissionDenied
from clinic.models import Appointment, Patient, PatientPayment
from clinic.records.actions import MergePatients
from clinic.records.models import AccessLogEntry, ClinicalDocument, MedicalHistory, OdontogramVersion, Visit
from portal.models import User
from portal.tenancy import clinic_context
from tests.helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(records, clinic_a):
    with clinic_context(clinic_a):
        Patient.objects.create(first_name="Íñigo", last_name="Núñez Peña", phone="+34 699 000 111", email="inigo@example.com",
                               national_id="12345678Z", date_of_birth="1985-03-12")
        Patient.objects.create(first_name="Inés", last_name="Nuño", phone="611 222 333")
    return records


@pytest.mark.parametrize("query", ["nuñez", "NUNEZ", "iñigo núñez", "peña íñ", "699000111", "+34 699 00 01 11", "699-000-111", "inigo@example.com",
                                   "12345678z", "12345678-Z", "12/03/1985", "1985-03-12"])
def test_the_directory_finds_a_patient_by_any_key(people, as_role, query):
    page = as_role("reception").get(reverse("clinic_records:directory"), {"q": query})
    assert page.status_code == HTTPStatus.OK
    assert "Núñez Peña, Íñigo" in text(page), query
    assert "Nuño, Inés" not in text(page), query


@pytest.mark.parametrize("query", ["a\x00b", "x" * 5000, "'; DROP TABLE clinic_patient; --", "&|!:*()", "31/02/2026", "🦷", "   "])
def test_odd_searches_are_answered_not_crashed(people, as_role, query):
    page = as_role("reception").get(reverse("clinic_records:directory"), {"q": query, "p": "99999"})
    assert page.status_code == HTTPStatus.OK


def test_the_directory_pages_25_at_a_time(people, as_role, clinic_a):
    with clinic_context(clinic_a):
        Patient.objects.bulk_create([Patient(first_name=f"Prueba{i:02d}", last_name="Paginación") for i in range(30)])
    client = as_role("reception")
    first = text(client.get(reverse("clinic_records:directory"), {"q": "paginacion"}))
    second = text(client.get(reverse("clinic_records:directory"), {"q": "paginacion", "p": "2"}))
    assert "30 pacientes" in first and "Página 1 de 2" in first
    assert "Prueba00" in first and "Prueba24" in first and "Prueba25" not in first
    assert "Prueba25" in second and "Prueba29" in second


def test_merging_moves_everything_and_is_audited(people, clinic_a, as_role):
    with clinic_context(clinic_a):
        keep = Patient.objects.get(last_name="Núñez Peña")
        duplicate = people["patient"]  # the portal patient: history, visits, odontogram, documents, an account
        counts = {model: model.objects.filter(patient=duplicate).count() for model in (Visit, OdontogramVersion, ClinicalDocument, Appointment, PatientPayment)}
        user = duplicate.user
    response = as_role("admin").post(reverse("clinic_records:merge", args=[keep.pk]), {"duplicate": duplicate.pk, "confirm": "on"})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        for model, count in counts.items():
            assert model.objects.filter(patient=keep).count() == count, model
            assert not model.objects.filter(patient=duplicate).exists(), model
        keep.refresh_from_db()
        duplicate.refresh_from_db()
        assert keep.user == user and duplicate.user is None
        assert duplicate.archived_at and duplicate.merged_into == keep
        assert "anticoagulants" in keep.alerts
        assert "Penicilina" in MedicalHistory.objects.get(patient=keep).allergies
        entry = ModelLogEntry.objects.get(action="clinic.patient.merge", object_id=str(keep.pk))
        assert entry.user.email == "admin@sonrisa.example" and entry.data["merged"] == duplicate.pk
        assert entry.data["moved"]["records.Visit"] == counts[Visit]
        assert AccessLogEntry.objects.filter(patient=keep, area="file", action="change").exists()
    # The portal account now shows the kept record.
    assert "Radiografía panorámica" in text(as_role("patient").get(reverse("patients_portal:history")))


def test_only_clinic_admins_merge_and_accounts_are_not_silently_lost(people, clinic_a, english):
    with clinic_context(clinic_a):
        keep, duplicate = Patient.objects.get(last_name="Núñez Peña"), Patient.objects.get(last_name="Nuño")
        for email in ("recepcion@sonrisa.example", "lucia.fernandez@sonrisa.example"):
            with pytest.raises(ActionPermissionDenied):
                MergePatients(keep, duplicate, actor=User.objects.get(email=email)).execute()
        admin = User.objects.get(email="admin@sonrisa.example")
        with pytest.raises(ActionError, match="two different"):
            MergePatients(keep, keep, actor=admin).execute()
        other_account = User.objects.create_user(email="inigo@example.com", password="x-Very-long-9")
        Patient.objects.filter(pk=keep.pk).update(user=other_account)
        keep.refresh_from_db()
        with pytest.raises(ActionError, match="Both records have an online account"):
            MergePatients(keep, people["patient"], actor=admin).execute()
        assert Visit.objects.filter(patient=people["patient"]).exists()  # nothing moved


def test_a_merged_record_keeps_its_log_lines_and_the_kept_one_shows_them(people, clinic_a, as_role):
    with clinic_context(clinic_a):
        keep = Patient.objects.get(last_name="Núñez Peña")
        duplicate = people["patient"]
    as_role("practitioner").get(reverse("clinic_records:patient", args=[duplicate.pk]), REMOTE_ADDR="192.0.2.55")
    as_role("admin").post(reverse("clinic_records:merge", args=[keep.pk]), {"duplicate": duplicate.pk, "confirm": "on"})
    log = text(as_role("admin").get(reverse("clinic_records:log", args=[keep.pk])))
    assert "192.0.2.55" in log
