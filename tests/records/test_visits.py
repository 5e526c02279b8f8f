"""Issue 10, item 2: visits are opened by completing an appointment, signed by their
author, locked 24 hours after opening (then only addenda), private notes are their
author's and the clinic admins', and nothing clinical is ever deleted."""

from datetime import datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from clinic.actions import CompleteAppointment
from clinic.actions.base import ActionError, ActionPermissionDenied
from clinic.models import Appointment, Patient
from clinic.records.actions import AddAddendum, ArchivePatient, CreateVisit, UpdateVisit
from clinic.records.models import AccessLogEntry, Addendum, ClinicalDocument, MedicalHistory, OdontogramVersion, Visit
from portal.models import User
from portal.tenancy import clinic_context
from tests.helpers import MADRID, text
from tests.records.conftest import refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(records, clinic_a):
    with clinic_context(clinic_a):
        return {k: User.objects.get(email=e) for k, e in {
            "lucia": "lucia.fernandez@sonrisa.example", "javier": "javier.morales@sonrisa.example", "admin": "admin@sonrisa.example",
            "reception": "recepcion@sonrisa.example"}.items()}


def test_completing_an_appointment_opens_its_visit_for_the_practitioner(records, staff, clinic_a):
    with clinic_context(clinic_a):
        from clinic.models import Practitioner, Service

        # Yesterday at 03:00 in Madrid: past its start, and outside every demo appointment.
        start = datetime.combine(timezone.localdate(timezone=MADRID) - timedelta(days=1), time(3), MADRID)
        practitioner = Practitioner.objects.get(user=staff["lucia"])
        service = practitioner.services.first() or Service.objects.first()
        appointment = Appointment.objects.create(patient=records["other"], practitioner=practitioner, service=service, start=start,
                                                 end=start + timedelta(minutes=30), price=service.price, status=Appointment.Status.CONFIRMED)
        CompleteAppointment(appointment, actor=staff["reception"]).execute()
        visit = Visit.objects.get(appointment=appointment)
        assert visit.author == appointment.practitioner.user and visit.practitioner == appointment.practitioner
        assert visit.reason == appointment.service.name and visit.patient == appointment.patient
        assert AccessLogEntry.objects.filter(patient=appointment.patient, area="visit", action="create", user=None).exists()


def test_only_the_author_edits_and_saving_signs(records, staff, clinic_a):
    with clinic_context(clinic_a):
        visit = CreateVisit(records["other"], data={"date": timezone.localdate(), "reason": "Revisión", "private_note": "Nota de Lucía"},
                            actor=staff["lucia"]).execute()
        UpdateVisit(visit, data={"diagnosis": "Caries en 16"}, actor=staff["lucia"]).execute()
        visit.refresh_from_db()
        assert visit.diagnosis == "Caries en 16" and visit.signed_at is not None
        entry = ModelLogEntry.objects.get(action="records.visit.change", object_id=str(visit.pk))
        assert entry.data["before"]["diagnosis"] == "" and entry.data["after"]["diagnosis"] == "Caries en 16"
        for other in ("javier", "admin", "reception"):
            with pytest.raises(ActionPermissionDenied):
                UpdateVisit(visit, data={"diagnosis": "otro"}, actor=staff[other]).execute()
        visit.refresh_from_db()
        assert visit.diagnosis == "Caries en 16"


def test_a_visit_locks_after_24_hours_and_takes_addenda(records, staff, clinic_a, english):
    with clinic_context(clinic_a):
        visit = CreateVisit(records["other"], data={"date": timezone.localdate(), "reason": "Dolor"}, actor=staff["lucia"]).execute()
        Visit.objects.filter(pk=visit.pk).update(opened_at=timezone.now() - timedelta(hours=24, minutes=1))
        visit.refresh_from_db()
        with pytest.raises(ActionError, match="locked"):
            UpdateVisit(visit, data={"diagnosis": "tarde"}, actor=staff["lucia"]).execute()
        # The database refuses it too, whoever writes.
        with pytest.raises(IntegrityError, match="locked"), transaction.atomic():
            Visit.objects.filter(pk=visit.pk).update(diagnosis="tarde")
        addendum = AddAddendum(visit, text="Se confirma caries en 16.", actor=staff["javier"]).execute()
        assert addendum.author == staff["javier"] and addendum.created <= timezone.now()
        with pytest.raises(IntegrityError), transaction.atomic():
            Addendum.objects.filter(pk=addendum.pk).update(text="cambiado")
        with pytest.raises(ActionError):
            AddAddendum(visit, text=" \x00 ", actor=staff["lucia"]).execute()


def test_the_visit_page_offers_editing_then_only_addenda(records, staff, as_role, clinic_a):
    with clinic_context(clinic_a):
        visit = CreateVisit(records["other"], data={"date": timezone.localdate(), "reason": "Dolor"}, actor=staff["lucia"]).execute()
    client = as_role("practitioner")
    url = reverse("clinic_records:visit", args=[visit.pk])
    response = client.post(url, {"save": "1", "date": timezone.localdate().isoformat(), "reason": "Dolor", "diagnosis": "Pulpitis", "findings": "",
                                 "diagnosis_code": "K04.0", "procedure": "", "prescriptions": "", "private_note": ""})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        assert Visit.objects.get(pk=visit.pk).diagnosis == "Pulpitis"
        Visit.objects.filter(pk=visit.pk).update(opened_at=timezone.now() - timedelta(days=2))
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert "locked: corrections are addenda" in text(page) and 'name="save"' not in page.content.decode()
    assert refused(client.post(url, {"save": "1", "diagnosis": "x"}))
    assert client.post(url, {"addendum": "1", "text": "Evolución favorable."}).status_code == HTTPStatus.FOUND
    assert "Evolución favorable." in text(client.get(url))
    assert refused(client.post(url, {"save": "1", "date": "2026-02-30"}))  # locked: no form at all, whatever is posted


def test_impossible_input_on_a_new_visit_is_a_400(records, as_role, clinic_a):
    client = as_role("practitioner")
    url = reverse("clinic_records:new_visit", args=[records["other"].pk])
    for data in ({"date": "2026-02-30", "reason": "x"}, {"date": "99999-01-01"}, {"date": "2026-01-01", "reason": "a\x00b"}, {"date": "2026-01-01", "reason": "x" * 500}):
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == HTTPStatus.BAD_REQUEST, data
    with clinic_context(clinic_a):
        assert not Visit.objects.filter(patient=records["other"], date=timezone.localdate()).exists()


def test_private_notes_are_seen_by_their_author_and_clinic_admins_only(records, as_role, clinic_a):
    with clinic_context(clinic_a):
        visit = Visit.objects.filter(patient=records["patient"], author__email="lucia.fernandez@sonrisa.example").first()
    url = reverse("clinic_records:visit", args=[visit.pk])
    note = "Paciente algo ansioso"
    assert note in text(as_role("practitioner").get(url))
    assert note in text(as_role("admin").get(url))
    assert note not in text(as_role("other_practitioner").get(url))
    assert refused(as_role("reception").get(url))
    export = as_role("other_practitioner").get(reverse("clinic_records:export", args=[records["patient"].pk, "json"]))
    assert note not in export.content.decode()
    assert note in as_role("practitioner").get(reverse("clinic_records:export", args=[records["patient"].pk, "json"])).content.decode()


@pytest.mark.parametrize("model", [Visit, Addendum, OdontogramVersion, ClinicalDocument, MedicalHistory, AccessLogEntry])
def test_nothing_clinical_can_be_deleted_even_by_sql(records, staff, clinic_a, model):
    with clinic_context(clinic_a):
        if model is Addendum and not Addendum.objects.exists():
            AddAddendum(Visit.objects.first(), text="Añadido", actor=staff["lucia"]).execute()
        if model is AccessLogEntry and not AccessLogEntry.objects.exists():
            AddAddendum(Visit.objects.first(), text="Añadido", actor=staff["lucia"]).execute()
        row = model.objects.first()
        with pytest.raises((IntegrityError, ProtectedError)), transaction.atomic():
            model.objects.filter(pk=row.pk).delete()
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [row.pk])
        assert model.objects.filter(pk=row.pk).exists()


def test_deleting_a_patient_archives_the_record(records, staff, as_role, clinic_a):
    patient = records["patient"]
    client = as_role("admin")
    # Wagtail's delete page for patients leads to the file instead of deleting.
    response = client.post(reverse("clinic_patient:delete", args=[patient.pk]))
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == reverse("clinic_records:patient", args=[patient.pk])
    response = client.post(reverse("clinic_records:archive", args=[patient.pk]))
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        patient.refresh_from_db()
        assert patient.archived_at is not None
        assert Visit.objects.filter(patient=patient).count() >= 3  # kept
        assert not Patient.objects.current().filter(pk=patient.pk).exists()
    link = f'href="{reverse("clinic_records:patient", args=[patient.pk])}"'
    assert link not in client.get(reverse("clinic_records:directory") + "?q=pablo").content.decode()
    assert link in client.get(reverse("clinic_records:directory") + "?q=pablo&archivo=1").content.decode()
    # Reception and practitioners may not archive.
    with clinic_context(clinic_a):
        with pytest.raises(ActionPermissionDenied):
            ArchivePatient(records["other"], actor=staff["reception"]).execute()


def test_a_patient_with_appointments_ahead_is_not_archived(records, staff, clinic_a, english):
    from tenants.demo_agenda import seed_agenda

    seed_agenda(clinic_a)
    with clinic_context(clinic_a):
        ahead = Appointment.objects.filter(start__gt=timezone.now(), status=Appointment.Status.CONFIRMED).select_related("patient").first()
        with pytest.raises(ActionError, match="appointments ahead"):
            ArchivePatient(ahead.patient, actor=staff["admin"]).execute()
