"""Booking: the database refuses double bookings, holds expire, "any practitioner" is
assigned, and 20 patients racing for one slot get exactly one appointment."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from clinic.availability import find_slots
from clinic.actions import BookAppointment, BookingError, SlotTaken
from clinic.actions.appointments import release_expired_holds
from clinic.models import (
    Appointment,
    BookingSettings,
    Patient,
    Practitioner,
    Service,
    TimeOff,
)
from portal.tenancy import clinic_context, public_context

MADRID = ZoneInfo("Europe/Madrid")


def next_weekday(weekday: int) -> date:
    """That weekday at least two days ahead, so notice rules never depend on the time now."""
    today = timezone.localdate(timezone=MADRID)
    days = (weekday - today.weekday()) % 7
    return today + timedelta(days=days if days >= 2 else days + 7)


def at(day, hh, mm=0):
    return datetime.combine(day, time(hh, mm), MADRID)


@pytest.fixture
def sonrisa(clinic_a, in_clinic):
    with in_clinic(clinic_a):
        service = Service.objects.get(name="Revisión y limpieza dental")  # 45 min + 10 buffer, deposit 15
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        carmen = Practitioner.objects.get(user__email="carmen.ortega@sonrisa.example")
        patient = Patient.objects.create(first_name="Eva", last_name="Prueba", email="eva@correo.example")
        other = Patient.objects.create(first_name="Luis", last_name="Prueba", email="luis@correo.example")
        yield {"service": service, "lucia": lucia, "carmen": carmen, "patient": patient, "other": other, "tuesday": next_weekday(1)}


def test_a_booking_holds_its_time_and_the_same_time_is_then_refused(sonrisa):
    s = sonrisa
    first = BookAppointment(patient=s["patient"], service=s["service"], practitioner=s["lucia"], start=at(s["tuesday"], 9)).execute()
    assert first.status == Appointment.Status.PENDING_PAYMENT and first.amount_online == 15  # the deposit
    assert first.hold_expires_at > timezone.now()
    with pytest.raises(SlotTaken):
        BookAppointment(patient=s["other"], service=s["service"], practitioner=s["lucia"], start=at(s["tuesday"], 9)).execute()
    # 9:45 is inside the 10-minute buffer after 9:00–9:45; 10:00 is free.
    assert at(s["tuesday"], 9, 45) not in {x.start for x in find_slots(service=s["service"], practitioner=s["lucia"], start=s["tuesday"], end=s["tuesday"])}
    BookAppointment(patient=s["other"], service=s["service"], practitioner=s["lucia"], start=at(s["tuesday"], 10)).execute()


def test_the_database_itself_refuses_overlaps_for_one_practitioner_only(sonrisa):
    s = sonrisa
    BookAppointment(patient=s["patient"], service=s["service"], practitioner=s["lucia"], start=at(s["tuesday"], 9)).execute()
    clash = Appointment(patient=s["other"], practitioner=s["lucia"], service=s["service"], start=at(s["tuesday"], 9, 30), end=at(s["tuesday"], 10, 15), price=60)
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        clash.save()  # straight to the database, past every check in Python
    assert error.value.__cause__.pgcode == "23P01"
    Appointment(patient=s["other"], practitioner=s["carmen"], service=s["service"], start=at(s["tuesday"], 9), end=at(s["tuesday"], 9, 45), price=60).save()


def test_cancelled_appointments_do_not_block(sonrisa):
    """Y's cancelled sessions still blocked their time (PRIOR-ART #23)."""
    s = sonrisa
    first = BookAppointment(patient=s["patient"], service=s["service"], practitioner=s["lucia"], start=at(s["tuesday"], 9)).execute()
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.CANCELLED)
    BookAppointment(patient=s["other"], service=s["service"], practitioner=s["lucia"], start=at(s["tuesday"], 9)).execute()


def test_an_expired_hold_frees_the_slot(sonrisa):
    s = sonrisa
    held = BookAppointment(patient=s["patient"], service=s["service"], practitioner=s["lucia"], start=at(s["tuesday"], 9)).execute()
    assert release_expired_holds() == 0
    assert release_expired_holds(now=timezone.now() + timedelta(minutes=BookingSettings.load().hold_minutes + 1)) == 1
    held.refresh_from_db()
    assert held.status == Appointment.Status.CANCELLED and held.cancelled_by == Appointment.CancelledBy.SYSTEM
    BookAppointment(patient=s["other"], service=s["service"], practitioner=s["lucia"], start=at(s["tuesday"], 9)).execute()


def test_any_practitioner_gets_whoever_is_free(sonrisa):
    s = sonrisa
    one = BookAppointment(patient=s["patient"], service=s["service"], start=at(s["tuesday"], 9)).execute()
    two = BookAppointment(patient=s["other"], service=s["service"], start=at(s["tuesday"], 9)).execute()
    assert {one.practitioner, two.practitioner} == {s["lucia"], s["carmen"]}
    with pytest.raises(SlotTaken):
        BookAppointment(patient=s["patient"], service=s["service"], start=at(s["tuesday"], 9)).execute()


@pytest.mark.parametrize(
    "when",
    [lambda s: at(s["tuesday"] - timedelta(days=14), 9), lambda s: at(s["tuesday"], 8), lambda s: at(s["tuesday"], 14), lambda s: at(s["tuesday"], 9, 7),
     lambda s: at(s["tuesday"] + timedelta(days=400), 9)],
    ids=["past", "before-opening", "in-the-lunch-break", "off-the-grid", "beyond-the-horizon"],
)
def test_times_the_rules_do_not_offer_are_refused(sonrisa, when):
    """D allowed bookings in the past (PRIOR-ART #22)."""
    with pytest.raises(BookingError):
        BookAppointment(patient=sonrisa["patient"], service=sonrisa["service"], practitioner=sonrisa["lucia"], start=when(sonrisa)).execute()
    assert not Appointment.objects.exists()


def test_time_off_and_clinic_holidays_remove_slots(sonrisa):
    s = sonrisa
    TimeOff.objects.create(practitioner=s["lucia"], start=at(s["tuesday"], 0), end=at(s["tuesday"] + timedelta(days=1), 0), reason="Congreso")
    assert find_slots(service=s["service"], practitioner=s["lucia"], start=s["tuesday"], end=s["tuesday"]) == []
    assert find_slots(service=s["service"], practitioner=s["carmen"], start=s["tuesday"], end=s["tuesday"])
    TimeOff.objects.create(start=at(s["tuesday"], 0), end=at(s["tuesday"] + timedelta(days=1), 0), reason="Fiesta local")
    assert find_slots(service=s["service"], start=s["tuesday"], end=s["tuesday"]) == []


def test_twenty_patients_racing_for_one_slot_get_one_appointment(django_db_blocker):
    """Separate threads, separate connections, real commits (PRIOR-ART #22, #23)."""
    with django_db_blocker.unblock():
        with public_context():
            from tenants.models import Clinic

            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            service = Service.objects.get(name="Empaste (obturación)")  # pay at the clinic: confirmed at once
            lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
            patients = [Patient.objects.create(first_name=f"Carrera{i}", last_name="Prueba") for i in range(20)]
            start = at(next_weekday(3), 17)
        outcomes, barrier = [], threading.Barrier(20)

        def attempt(patient):
            try:
                with clinic_context(clinic):
                    barrier.wait()
                    BookAppointment(patient=patient, service=service, practitioner=lucia, start=start, pay_online=False).execute()
                outcomes.append("booked")
            except SlotTaken:
                outcomes.append("taken")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert sorted(outcomes) == ["booked"] + ["taken"] * 19
            with clinic_context(clinic):
                assert Appointment.objects.filter(practitioner=lucia, start=start).exclude(status=Appointment.Status.CANCELLED).count() == 1
        finally:
            with clinic_context(clinic):
                Appointment.objects.filter(patient__in=patients).delete()
                Patient.objects.filter(pk__in=[p.pk for p in patients]).delete()
            connection.set_schema_to_public()
