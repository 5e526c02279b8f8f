"""Issue 9, item 4: booking at the desk — find or create the patient (with "is this the
same person?"), then a free time from the availability engine, then the usual e-mail."""

from datetime import date, datetime, time, timedelta
from http import HTTPStatus
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from clinic.actions.patients import likely_duplicates, search
from clinic.models import Appointment, BookingSettings, Patient, Practitioner, Service
from portal.tenancy import clinic_context
from tests.helpers import login, next_tuesday

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
URL = "/admin/recepcion/cita/"


@pytest.fixture
def people(clinic_a):
    with clinic_context(clinic_a):
        return {
            "lopez": Patient.objects.create(first_name="María José", last_name="López Núñez", phone="+34 611 22 33 44", email="MJ.Lopez@Example.com",
                                            date_of_birth=date(1980, 5, 17), national_id="12345678Z"),
            "other": Patient.objects.create(first_name="Mario", last_name="Gómez", phone="622-000-111"),
        }


@pytest.mark.parametrize("query", ["lopez", "LÓPEZ", "maria jose lopez", "núñez maría", "611223344", "+34 611 22 33 44", "611-22-33-44",
                                   "mj.lopez@example.com", "12345678Z", "12345678-Z"])
def test_search_finds_the_patient_by_any_key(clinic_a, people, query):
    with clinic_context(clinic_a):
        assert [p.pk for p in search(query)] == [people["lopez"].pk]


def test_search_ignores_short_and_strange_input(clinic_a, people):
    with clinic_context(clinic_a):
        assert list(search("a")) == [] and list(search("\x00\x00")) == [] and list(search("zzzz")) == []


@pytest.mark.parametrize("kwargs", [
    dict(first_name="maria jose", last_name="LOPEZ NUÑEZ", date_of_birth=date(1980, 5, 17)),
    dict(first_name="Otra", last_name="Persona", phone="611 223 344"),
    dict(first_name="Otra", last_name="Persona", email="mj.lopez@example.com"),
])
def test_likely_duplicates_by_each_rule(clinic_a, people, kwargs):
    with clinic_context(clinic_a):
        assert [p.pk for p in likely_duplicates(**kwargs)] == [people["lopez"].pk]


def test_same_name_with_another_birth_date_is_not_a_duplicate(clinic_a, people):
    with clinic_context(clinic_a):
        assert not likely_duplicates(first_name="María José", last_name="López Núñez", date_of_birth=date(1990, 1, 1)).exists()


def test_creating_a_look_alike_asks_first_and_creates_only_when_confirmed(client_a, clinic_a, people, password):
    login(client_a, "recepcion@sonrisa.example", password)
    data = {"step": "patient", "first_name": "Maria Jose", "last_name": "Lopez Nuñez", "phone": "", "email": "mj.lopez@example.com",
            "date_of_birth": "", "national_id": ""}
    asked = client_a.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert asked.status_code == HTTPStatus.OK and "Is this the same person?" in asked.content.decode()
    assert f"paciente={people['lopez'].pk}" in asked.content.decode()
    with clinic_context(clinic_a):
        assert Patient.objects.filter(last_name="Lopez Nuñez").count() == 0
    created = client_a.post(URL, {**data, "confirm_new": "1"})
    assert created.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        patient = Patient.objects.get(last_name="Lopez Nuñez")
        assert ModelLogEntry.objects.filter(object_id=str(patient.pk), action="clinic.patient.create").exists()
    assert f"paciente={patient.pk}" in created["Location"]


def test_a_new_patient_needs_a_way_to_reach_them(client_a, clinic_a, password):
    login(client_a, "recepcion@sonrisa.example", password)
    response = client_a.post(URL, {"step": "patient", "first_name": "Sin", "last_name": "Contacto"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK and "Give a phone number or an e-mail" in response.content.decode()
    with clinic_context(clinic_a):
        assert not Patient.objects.filter(last_name="Contacto").exists()


def test_the_receptionist_books_a_free_time_and_the_patient_gets_the_usual_e_mail(client_a, clinic_a, people, password, django_capture_on_commit_callbacks):
    with clinic_context(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
    login(client_a, "recepcion@sonrisa.example", password)
    day = next_tuesday()
    page = client_a.get(URL, {"paciente": people["lopez"].pk, "servicio": service.pk, "profesional": lucia.pk, "dia": day.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    start = datetime.combine(day, time(10), MADRID)
    assert page.status_code == HTTPStatus.OK and "inicio=" + quote(start.astimezone(ZoneInfo("UTC")).isoformat(), safe="/") in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(URL + f"?paciente={people['lopez'].pk}", {"step": "book", "inicio": start.isoformat(), "servicio": service.pk, "profesional": lucia.pk})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        appointment = Appointment.objects.get(patient=people["lopez"])
        assert (appointment.start, appointment.practitioner_id, appointment.status) == (start, lucia.pk, "confirmed")
    assert [m.to for m in mail.outbox] == [["MJ.Lopez@Example.com"]] and "10:00" in mail.outbox[0].body
    # The same time again: refused with the reason, nothing booked twice.
    again = client_a.post(URL + f"?paciente={people['other'].pk}", {"step": "book", "inicio": start.isoformat(), "servicio": service.pk,
                                                                   "profesional": lucia.pk}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "is not free at that time" in again.content.decode()
    with clinic_context(clinic_a):
        assert Appointment.objects.filter(practitioner=lucia, start=start).count() == 1


def test_staff_book_inside_the_notice_period_and_beyond_the_horizon(client_a, clinic_a, people, password):
    with clinic_context(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        far = timezone.localdate(timezone=MADRID) + timedelta(days=BookingSettings.load().horizon_days + 20)
    while far.weekday() > 3:
        far += timedelta(days=1)
    login(client_a, "recepcion@sonrisa.example", password)
    page = client_a.get(URL, {"paciente": people["lopez"].pk, "servicio": service.pk, "profesional": lucia.pk, "dia": far.isoformat()}).content.decode()
    assert quote(datetime.combine(far, time(9), MADRID).astimezone(ZoneInfo("UTC")).isoformat(), safe="/") in page


def test_the_agenda_s_free_time_arrives_chosen(client_a, clinic_a, people, password):
    with clinic_context(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
    start = datetime.combine(next_tuesday(), time(16), MADRID)
    login(client_a, "recepcion@sonrisa.example", password)
    first = client_a.get(URL, {"profesional": lucia.pk, "inicio": start.isoformat()}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "With Dra. Lucía Fernández Ruiz" in first or "with Dra. Lucía Fernández Ruiz" in first
    confirm = client_a.get(URL, {"profesional": lucia.pk, "inicio": start.isoformat(), "paciente": people["lopez"].pk, "servicio": service.pk},
                           HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Empaste (obturación) on" in confirm and "16:00" in confirm


@pytest.mark.parametrize("params", [{"paciente": "abc"}, {"paciente": "999999"}, {"profesional": "1" * 20}, {"inicio": "2026-02-30T10:00"},
                                    {"dia": "2026-13-01", "paciente": "1"}, {"servicio": "x"}])
def test_malformed_parameters_are_a_400(client_a, password, params):
    login(client_a, "recepcion@sonrisa.example", password)
    assert client_a.get(URL, params).status_code == HTTPStatus.BAD_REQUEST


def test_who_may_book_at_the_desk(client_a, client_b, clinic_a, people, password):
    assert client_a.get(URL).status_code == HTTPStatus.FOUND  # anonymous: to sign in
    login(client_a, "paciente@sonrisa.example", password)
    assert client_a.get(URL).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    login(client_b, "recepcion@alamos.example", password)
    assert client_b.get(URL, {"paciente": people["lopez"].pk}).status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)
    page = client_b.get(URL, {"q": "López"}).content.decode()
    assert "López Núñez" not in page
