"""Issue 9, item 6: the room constraint under a race. Separate threads and connections with
real commits, so this module has no test transaction (like tests/clinic/test_booking.py's race)."""

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, connections
from django.utils import timezone

from clinic.actions import BookAppointment, SlotTaken
from clinic.models import Appointment, Patient, Practitioner, Room, Service
from portal.tenancy import clinic_context

MADRID = ZoneInfo("Europe/Madrid")


def next_tuesday():
    today = timezone.localdate(timezone=MADRID)
    days = (1 - today.weekday()) % 7
    return today + timedelta(days=days if days >= 2 else days + 7)


def test_two_practitioners_racing_for_the_last_room_book_one(django_db_setup, django_db_blocker):
    """Separate threads and connections, real commits: one booking, the other told."""
    with django_db_blocker.unblock():
        from tenants.models import Clinic
        from portal.tenancy import public_context

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            service = Service.objects.get(slug="revision-y-limpieza-dental")
            lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
            carmen = Practitioner.objects.get(user__email="carmen.ortega@sonrisa.example")
            room = Room.objects.create(name="Gabinete carrera")
            patients = [Patient.objects.create(first_name=f"Carrera{i}", last_name="Sala") for i in range(2)]
            start = datetime.combine(next_tuesday(), time(17), MADRID)
        outcomes, barrier = [], threading.Barrier(2)

        def attempt(patient, practitioner):
            try:
                with clinic_context(clinic):
                    barrier.wait()
                    BookAppointment(patient=patient, service=service, practitioner=practitioner, start=start, pay_online=False).execute()
                outcomes.append("booked")
            except SlotTaken:
                outcomes.append("taken")
            except Exception as error:  # noqa: BLE001 - shown in the assertion
                outcomes.append(repr(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt, args=args) for args in ((patients[0], lucia), (patients[1], carmen))]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert sorted(outcomes) == ["booked", "taken"]
            with clinic_context(clinic):
                assert Appointment.objects.filter(room=room, start=start).count() == 1
        finally:
            with clinic_context(clinic):
                Appointment.objects.filter(patient__in=patients).delete()
                Patient.objects.filter(pk__in=[p.pk for p in patients]).delete()
                room.delete()
            connection.set_schema_to_public()
