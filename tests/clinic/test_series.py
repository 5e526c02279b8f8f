"""Issue 9, item 5: recurring appointments — the clashes listed before anything is
created, the free dates booked as one series, cancel one or all that remain."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from clinic.actions import ActionPermissionDenied
from clinic.actions.series import BookSeries, preview
from clinic.models import Appointment, AppointmentSeries, Patient, Practitioner, Service, TimeOff
from portal.models import User
from portal.tenancy import clinic_context
from tests.helpers import next_tuesday

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
URL = "/admin/recepcion/cita/"


@pytest.fixture
def s(clinic_a):
    with clinic_context(clinic_a):
        service = Service.objects.get(slug="empaste-obturacion")
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        patient = Patient.objects.create(first_name="Serie", last_name="Semanal", email="serie@example.com")
        other = Patient.objects.create(first_name="Otro", last_name="Paciente")
        first = datetime.combine(next_tuesday(), time(10), MADRID)
        # Week 2 taken by someone else, week 3 a congress.
        Appointment.objects.create(patient=other, practitioner=lucia, service=service, start=first + timedelta(weeks=1),
                                   end=first + timedelta(weeks=1, minutes=45), price=Decimal("70"))
        TimeOff.objects.create(practitioner=lucia, start=first + timedelta(weeks=2, hours=-2), end=first + timedelta(weeks=2, hours=8), reason="Congreso")
        yield dict(service=service, lucia=lucia, patient=patient, first=first, clinic=clinic_a)


def test_the_preview_lists_each_date_and_why_it_clashes(s):
    with clinic_context(s["clinic"]):
        dates = preview(service=s["service"], practitioner=s["lucia"], first=s["first"], interval_weeks=1, count=4)
    assert [d.free for d in dates] == [True, False, False, True]
    assert [d.local.strftime("%H:%M") for d in dates] == ["10:00"] * 4  # the wall clock, across daylight saving too
    assert dates[1].reason and dates[2].reason and dates[1].reason != dates[2].reason


def test_booking_a_series_creates_only_the_free_dates_and_e_mails_once(s, django_capture_on_commit_callbacks):
    with clinic_context(s["clinic"]), django_capture_on_commit_callbacks(execute=True):
        reception = User.objects.get(email="recepcion@sonrisa.example")
        action = BookSeries(patient=s["patient"], service=s["service"], practitioner=s["lucia"], first=s["first"], interval_weeks=1, count=4, actor=reception)
        series = action.execute()
        booked = list(series.appointments.order_by("start").values_list("start", flat=True))
    assert booked == [s["first"], s["first"] + timedelta(weeks=3)]
    assert len(action.skipped) == 2 and [m.to for m in mail.outbox] == [["serie@example.com"]]


def test_every_two_weeks(s):
    with clinic_context(s["clinic"]):
        dates = preview(service=s["service"], practitioner=s["lucia"], first=s["first"], interval_weeks=2, count=3)
    assert [d.local.date() for d in dates] == [s["first"].date() + timedelta(weeks=w) for w in (0, 2, 4)]


def test_a_practitioner_cannot_book_a_series_for_another(s):
    with clinic_context(s["clinic"]):
        javier = User.objects.get(email="javier.morales@sonrisa.example")
        with pytest.raises(ActionPermissionDenied):
            BookSeries(patient=s["patient"], service=s["service"], practitioner=s["lucia"], first=s["first"], interval_weeks=1, count=2, actor=javier).execute()
        assert not AppointmentSeries.objects.filter(patient=s["patient"]).exists()


def test_the_desk_shows_the_clashes_first_then_books_and_cancels_all_that_remain(client_a, s, password, django_capture_on_commit_callbacks):
    assert client_a.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": password}).status_code == HTTPStatus.FOUND
    data = {"step": "book", "inicio": s["first"].isoformat(), "servicio": s["service"].pk, "profesional": s["lucia"].pk, "repetir": "1", "veces": "4"}
    preview_page = client_a.post(URL + f"?paciente={s['patient'].pk}", data, HTTP_ACCEPT_LANGUAGE="en")
    assert preview_page.status_code == HTTPStatus.OK
    page = preview_page.content.decode()
    assert page.count("not booked") == 2 and "Book the 2 free dates" in page
    with clinic_context(s["clinic"]):
        assert not Appointment.objects.filter(patient=s["patient"]).exists()  # nothing before confirming
    with django_capture_on_commit_callbacks(execute=True):
        done = client_a.post(URL + f"?paciente={s['patient'].pk}", {**data, "step": "series"})
    assert done.status_code == HTTPStatus.FOUND
    with clinic_context(s["clinic"]):
        first, last = Appointment.objects.filter(patient=s["patient"]).order_by("start")
    appointment_page = client_a.get(f"/admin/agenda/cita/{first.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Cancel all that remain" in appointment_page
    refused = client_a.post(f"/admin/agenda/cita/{first.pk}/serie/cancelar/", {"reason": ""}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Say why the appointment is cancelled" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(f"/admin/agenda/cita/{first.pk}/serie/cancelar/", {"reason": "Tratamiento terminado"})
    with clinic_context(s["clinic"]):
        assert set(Appointment.objects.filter(patient=s["patient"]).values_list("status", flat=True)) == {"cancelled"}


@pytest.mark.parametrize("repeat,times", [("3", "4"), ("1", "1"), ("1", "53"), ("1", "x")])
def test_a_bad_repeat_is_a_400(client_a, s, password, repeat, times):
    client_a.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": password})
    data = {"step": "book", "inicio": s["first"].isoformat(), "servicio": s["service"].pk, "profesional": s["lucia"].pk, "repetir": repeat, "veces": times}
    assert client_a.post(URL + f"?paciente={s['patient'].pk}", data).status_code == HTTPStatus.BAD_REQUEST
