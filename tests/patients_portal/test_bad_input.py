"""Issue 8, item 13: impossible or out-of-range dates and offsets, and NUL bytes, are a
translated 400 (or the form again) that changes nothing, never a 500."""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.utils import timezone, translation

from clinic.models import Appointment, Practitioner, Service
from tenants.models import Signup

pytestmark = pytest.mark.django_db

BAD_DAYS = ["2026-02-30", "2026-13-01", "9999-12-31", "0001-01-01", "2026-1-1x", "\x00"]
BAD_INSTANTS = [
    "2026-03-10T10:00:00+99:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-05:00", "2026-02-30T10:00:00+01:00", "\x00",
]


@pytest.fixture
def patient_client(client_a, password):
    client_a.post("/accounts/login/", {"login": "paciente@sonrisa.example", "password": password})
    return client_a


@pytest.fixture
def service(clinic_a, in_clinic):
    with in_clinic(clinic_a):
        return Service.objects.bookable_online().get(slug="empaste-obturacion")


def _text(response):
    return response.content.decode()


@pytest.mark.parametrize("params", [
    {"desde": "2026-02-30", "hasta": "2026-03-02"}, {"desde": "2026-13-01", "hasta": "2026-12-01"},
    {"desde": "TODAY", "hasta": "9999-12-31"}, {"desde": "9999-12-31", "hasta": "9999-12-31"},
    {"desde": "0001-01-01", "hasta": "0001-01-01"}, {"desde": "\x00", "hasta": "TODAY"},
])
def test_slots_json_answers_400_with_a_translated_message_for_impossible_dates(client_a, service, params):
    today = timezone.localdate().isoformat()
    query = {k: (today if v == "TODAY" else v) for k, v in params.items()} | {"servicio": service.pk}
    with translation.override("en"):
        response = client_a.get("/reservar/huecos/", query, HTTP_ACCEPT_LANGUAGE="en")
    if params["desde"] == params["hasta"] == "9999-12-31":  # well-formed, beyond the booking horizon: nothing free
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
        if response.status_code == HTTPStatus.OK:
            assert response.json()["slots"] == []
        return
    if params["desde"] == "0001-01-01":
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
        return
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]


def test_slots_json_impossible_date_message_is_in_spanish_by_default(client_a, service):
    response = client_a.get("/reservar/huecos/", {"servicio": service.pk, "desde": "2026-02-30", "hasta": "2026-03-01"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "Indica las fechas como AAAA-MM-DD." or "AAAA-MM-DD" in response.json()["error"]


@pytest.mark.parametrize("day", BAD_DAYS)
def test_day_picker_never_500s_on_impossible_or_far_days(client_a, service, day):
    response = client_a.get(f"/reservar/{service.slug}/", {"dia": day})
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
    if day in ("2026-02-30", "2026-13-01", "2026-1-1x", "\x00"):
        assert response.status_code == HTTPStatus.BAD_REQUEST


def test_day_picker_impossible_date_says_so_in_english(client_a, service):
    response = client_a.get(f"/reservar/{service.slug}/", {"dia": "2026-02-30"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Give the date as YYYY-MM-DD." in _text(response)


def test_day_picker_beyond_the_horizon_shows_the_last_bookable_week(client_a, service):
    response = client_a.get(f"/reservar/{service.slug}/", {"dia": "2199-12-31"})
    assert response.status_code == HTTPStatus.OK
    far = client_a.get(f"/reservar/{service.slug}/", {"dia": "9999-12-31"}, HTTP_ACCEPT_LANGUAGE="en")
    assert far.status_code == HTTPStatus.BAD_REQUEST and "Choose a date within the booking period." in _text(far)


@pytest.mark.parametrize("start", BAD_INSTANTS)
def test_confirm_step_answers_400_for_impossible_offsets_and_years(patient_client, clinic_a, in_clinic, service, start):
    with in_clinic(clinic_a):
        before = Appointment.objects.count()
    url = f"/reservar/{service.slug}/confirmar/?inicio={quote(start)}"
    assert patient_client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == HTTPStatus.BAD_REQUEST
    response = patient_client.post(url, {"pay_online": "0"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "That time cannot be booked. Please choose a time from the list." in _text(response)
    with in_clinic(clinic_a):
        assert Appointment.objects.count() == before


@pytest.mark.parametrize("start", BAD_INSTANTS)
def test_reschedule_post_with_impossible_time_shows_the_appointment_again_and_moves_nothing(patient_client, clinic_a, in_clinic, service, start):
    with in_clinic(clinic_a):
        from clinic.models import Patient

        patient = Patient.objects.get(email="paciente@sonrisa.example")
        practitioner = Practitioner.objects.active().filter(services=service).first()
        begin = (timezone.now() + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
        appointment = Appointment.objects.create(
            patient=patient, service=service, practitioner=practitioner, start=begin, end=begin + timedelta(minutes=service.duration_minutes),
            status=Appointment.Status.CONFIRMED, price=service.price,
        )
    response = patient_client.post(f"/cuenta/citas/{appointment.pk}/cambiar/", {"inicio": start}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == f"/cuenta/citas/{appointment.pk}/"
    page = patient_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "That time cannot be booked. Please choose a time from the list." in _text(page)
    with in_clinic(clinic_a):
        appointment.refresh_from_db()
        assert appointment.start == begin and appointment.status == Appointment.Status.CONFIRMED


def test_signup_plan_with_a_nul_byte_is_the_form_again(platform_client):
    before = Signup.objects.count()
    response = platform_client.get("/alta/", {"plan": "basico\x00"})
    assert response.status_code == HTTPStatus.OK
    assert Signup.objects.count() == before


def test_check_slug_with_a_nul_byte_is_not_available(platform_client):
    with translation.override("en"):
        response = platform_client.get("/alta/comprobar/", {"slug": "abc\x00def"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["available"] is False
