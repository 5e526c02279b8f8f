"""Issue 9, item 6: rooms with equipment; the database refuses two appointments in one room at once."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.actions import BookAppointment, SlotTaken
from clinic.availability import find_slots
from clinic.models import Appointment, Equipment, Patient, Practitioner, Room, Service
from portal.tenancy import clinic_context
from tests.helpers import next_tuesday

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def sonrisa(clinic_a):
    with clinic_context(clinic_a):
        service = Service.objects.get(slug="revision-y-limpieza-dental")  # Lucía and Carmen both offer it
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        carmen = Practitioner.objects.get(user__email="carmen.ortega@sonrisa.example")
        patients = [Patient.objects.create(first_name=f"Sala{i}", last_name="Prueba") for i in range(3)]
        yield dict(service=service, lucia=lucia, carmen=carmen, patients=patients)


def test_a_clinic_without_rooms_books_as_before(sonrisa):
    start = datetime.combine(next_tuesday(), time(10), MADRID)
    appointment = BookAppointment(patient=sonrisa["patients"][0], service=sonrisa["service"], start=start, practitioner=sonrisa["lucia"]).execute()
    assert appointment.room_id is None


def test_with_one_room_two_practitioners_cannot_see_patients_at_once(sonrisa):
    room = Room.objects.create(name="Gabinete 1")
    start = datetime.combine(next_tuesday(), time(10), MADRID)
    first = BookAppointment(patient=sonrisa["patients"][0], service=sonrisa["service"], start=start, practitioner=sonrisa["lucia"]).execute()
    assert first.room_id == room.pk
    day = start.date()
    carmen_times = [s.start for s in find_slots(service=sonrisa["service"], practitioner=sonrisa["carmen"], start=day, end=day)]
    assert start not in carmen_times  # Carmen is free, the only room is not
    with pytest.raises(SlotTaken):
        BookAppointment(patient=sonrisa["patients"][1], service=sonrisa["service"], start=start, practitioner=sonrisa["carmen"]).execute()
    Room.objects.create(name="Gabinete 2")
    second = BookAppointment(patient=sonrisa["patients"][1], service=sonrisa["service"], start=start, practitioner=sonrisa["carmen"]).execute()
    assert second.room.name == "Gabinete 2"


def test_a_service_needing_equipment_gets_a_room_that_has_it(sonrisa):
    xray = Equipment.objects.create(name="Rayos X")
    plain = Room.objects.create(name="Gabinete 1", sort_order=1)
    equipped = Room.objects.create(name="Gabinete 2", sort_order=2)
    equipped.equipment.add(xray)
    sonrisa["service"].required_equipment.add(xray)
    start = datetime.combine(next_tuesday(), time(11), MADRID)
    booked = BookAppointment(patient=sonrisa["patients"][0], service=sonrisa["service"], start=start, practitioner=sonrisa["lucia"]).execute()
    assert booked.room == equipped
    day = start.date()
    assert start not in [s.start for s in find_slots(service=sonrisa["service"], practitioner=sonrisa["carmen"], start=day, end=day)]
    equipped.active = False
    equipped.save()
    assert find_slots(service=sonrisa["service"], start=day, end=day) == []  # no room has the X-ray unit any more
    assert plain.pk


def test_the_database_refuses_two_appointments_in_one_room(sonrisa):
    room = Room.objects.create(name="Gabinete 1")
    start = datetime.combine(next_tuesday(), time(12), MADRID)
    Appointment.objects.create(patient=sonrisa["patients"][0], practitioner=sonrisa["lucia"], service=sonrisa["service"], room=room,
                               start=start, end=start + timedelta(minutes=45), price=Decimal("60"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(patient=sonrisa["patients"][1], practitioner=sonrisa["carmen"], service=sonrisa["service"], room=room,
                                   start=start + timedelta(minutes=30), end=start + timedelta(minutes=75), price=Decimal("60"))
    Appointment.objects.create(patient=sonrisa["patients"][1], practitioner=sonrisa["carmen"], service=sonrisa["service"], room=None,
                               start=start + timedelta(minutes=30), end=start + timedelta(minutes=75), price=Decimal("60"))  # no room: no constraint


@pytest.mark.parametrize("email,listing,edit", [
    ("admin@sonrisa.example", 200, 200), ("recepcion@sonrisa.example", 200, "denied"), ("lucia.fernandez@sonrisa.example", 200, "denied"),
])
def test_who_manages_rooms(client_a, clinic_a, password, email, listing, edit):
    with clinic_context(clinic_a):
        room = Room.objects.create(name="Gabinete permisos")
    assert client_a.post("/accounts/login/", {"login": email, "password": password}).status_code == HTTPStatus.FOUND
    assert client_a.get("/admin/clinic/room/").status_code == listing
    response = client_a.get(f"/admin/clinic/room/edit/{room.pk}/")
    assert (response.status_code if response.status_code == 200 else "denied") == edit


def test_another_clinic_s_rooms_are_not_seen(client_b, clinic_a, password):
    with clinic_context(clinic_a):
        Room.objects.create(name="Gabinete secreto de Sonrisa")
    assert client_b.post("/accounts/login/", {"login": "admin@alamos.example", "password": password}).status_code == HTTPStatus.FOUND
    assert "Gabinete secreto de Sonrisa" not in client_b.get("/admin/clinic/room/").content.decode()


def test_the_agenda_shows_the_day_by_room(client_a, clinic_a, sonrisa, password):
    with clinic_context(clinic_a):
        Room.objects.create(name="Gabinete 1", sort_order=1)
        Room.objects.create(name="Gabinete 2", sort_order=2)
        start = datetime.combine(next_tuesday(), time(10), MADRID)
        BookAppointment(patient=sonrisa["patients"][0], service=sonrisa["service"], start=start, practitioner=sonrisa["lucia"]).execute()
        BookAppointment(patient=sonrisa["patients"][1], service=sonrisa["service"], start=start, practitioner=sonrisa["carmen"]).execute()
    assert client_a.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": password}).status_code == HTTPStatus.FOUND
    page = client_a.get("/admin/agenda/", {"dia": next_tuesday().isoformat(), "por": "sala"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Gabinete 1" in page and "Gabinete 2" in page and "By practitioner" in page
    assert page.count('class="agenda__block') == 2
    columns = dict(re.findall(r'<a class="agenda__block[^"]*"[^>]*grid-column: (\d+);[^>]*aria-label="[^"]*? (Sala\d) Prueba', page))
    assert sorted(columns.items()) == [("2", "Sala0"), ("3", "Sala1")]  # Gabinete 1 first, then Gabinete 2
