"""A lived-in fortnight for each demo clinic: patients, and appointments around today.

`make dev` (seed_demo) runs this so the agenda, the dashboard and the ledger show a
real clinic's day: last week completed (most paid at the desk, a few still to
collect), a no-show and a cancellation; today's patients who have been seen, one
in the room, one waiting, one late, the rest to come; next week booked. Gaps are
left so there are free times for a walk-in.

Not run by the test suite's seeding (tests book exact times on a clean agenda).
Idempotent per day: a clinic that already has demo appointments around today
gets none added. These are fixtures written straight to the tables (no audit
entries, no e-mails); everything a person does afterwards goes through
clinic.actions.
"""

import random
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.tenancy import clinic_context, clinic_zone

DEMO_PATIENTS = [
    ("María", "García López", "+34 611 204 118", "1984-03-12", "52147789K"),
    ("José", "Martínez Sánchez", "+34 622 918 330", "1971-11-02", "07845123L"),
    ("Lucía", "Romero Díaz", "+34 633 401 775", "1992-06-25", "48291037M"),
    ("Antonio", "Navarro Torres", "+34 644 550 219", "1958-01-30", "11223344N"),
    ("Carmen", "Jiménez Ruiz", "+34 655 120 934", "1989-09-14", "50981276P"),
    ("Manuel", "Moreno Álvarez", "+34 666 783 402", "1977-04-08", "33445566Q"),
    ("Elena", "Muñoz Castillo", "+34 677 302 861", "2001-12-19", "70112233R"),
    ("Francisco", "Alonso Gutiérrez", "+34 688 449 127", "1966-07-03", "22334455S"),
    ("Isabel", "Domínguez Vázquez", "+34 699 215 640", "1995-02-17", "60718293T"),
    ("David", "Gil Serrano", "+34 612 874 093", "1983-10-21", "44556677V"),
    ("Paula", "Ramos Molina", "+34 623 681 245", "2010-05-09", ""),
    ("Javier", "Ortiz Delgado", "+34 634 097 518", "1949-08-27", "05566778W"),
]
DAYS_BEFORE, DAYS_AFTER = 7, 7


def seed_agenda(clinic, *, now=None) -> int:
    """Demo patients and a fortnight of appointments around today in ``clinic``.
    Returns how many appointments were added (0 when today's were already there)."""
    with clinic_context(clinic):
        return _seed(clinic, now or timezone.now())


def demo_patients(clinic) -> list:
    """The demo patients of ``clinic`` (made the first time); in the current schema."""
    from clinic.models import Patient

    domain = f"pacientes.{clinic.slug}.example"
    patients = []
    for first, last, phone, born, national_id in DEMO_PATIENTS:
        email = f"{first.lower()}.{last.split()[0].lower()}@{domain}".translate(str.maketrans("áéíóúñ", "aeioun"))
        patient, _ = Patient.objects.get_or_create(
            email=email, defaults=dict(first_name=first, last_name=last, phone=phone, date_of_birth=born, national_id=national_id),
        )
        patients.append(patient)
    return patients


def _seed(clinic, now) -> int:
    from clinic.models import Appointment, Patient, PatientPayment, Practitioner

    zone = clinic_zone()
    today = timezone.localdate(now, zone)
    domain = f"pacientes.{clinic.slug}.example"
    patients = demo_patients(clinic)
    window = (datetime.combine(today - timedelta(days=DAYS_BEFORE), datetime.min.time(), zone),
              datetime.combine(today + timedelta(days=DAYS_AFTER + 1), datetime.min.time(), zone))
    if Appointment.objects.filter(patient__email__endswith=f"@{domain}", start__range=window).exists():
        return 0

    rng = random.Random(f"{clinic.slug}-{today}")
    rooms = _rooms(clinic)
    added = 0
    practitioners = list(Practitioner.objects.active().prefetch_related("services", "working_hours").select_related("user"))
    for offset in range(-DAYS_BEFORE, DAYS_AFTER + 1):
        day = today + timedelta(days=offset)
        for practitioner in practitioners:
            services = [s for s in practitioner.services.all() if s.active]
            stretches = sorted((h.start, h.end) for h in practitioner.working_hours.all() if h.weekday == day.weekday())
            if not services or not stretches:
                continue
            for opens, closes in stretches:
                at = datetime.combine(day, opens, zone)
                until = datetime.combine(day, closes, zone)
                while True:
                    service = rng.choice(services)
                    end = at + timedelta(minutes=service.duration_minutes)
                    if end + timedelta(minutes=service.buffer_minutes) > until:
                        break
                    if rng.random() < 0.55:  # about half the time is booked: free slots remain
                        added += _book(Appointment, PatientPayment, rng.choice(patients), practitioner, service, at, end, now, rng, clinic, rooms)
                    step = service.duration_minutes + service.buffer_minutes
                    at += timedelta(minutes=(step + 14) // 15 * 15 + rng.choice([0, 0, 15, 30]))
    return added


def _rooms(clinic) -> list:
    """A dental clinic works in surgeries: two, one with the X-ray unit (once; left as
    the clinic changes them)."""
    from clinic.models import Equipment, Room

    if clinic.practice_type != "dental":
        return []
    if not Room.objects.exists():
        xray, _ = Equipment.objects.get_or_create(name="Rayos X")
        Room.objects.create(name="Gabinete 1", sort_order=1).equipment.add(xray)
        Room.objects.create(name="Gabinete 2", sort_order=2)
    return list(Room.objects.active().order_by("sort_order"))


def _book(Appointment, PatientPayment, patient, practitioner, service, start, end, now, rng, clinic, rooms=()) -> int:
    """One appointment in the state a real day would have left it in, in the first free room."""
    S = Appointment.Status
    appointment = Appointment(patient=patient, practitioner=practitioner, service=service, start=start, end=end, price=service.price)
    roll = rng.random()
    paid = False
    if end <= now - timedelta(hours=12):  # earlier days
        if roll < 0.08:
            appointment.status = S.NO_SHOW
        elif roll < 0.16:
            appointment.status, appointment.cancelled_by, appointment.cancel_reason = S.CANCELLED, Appointment.CancelledBy.PATIENT, "No puede venir"
        else:
            appointment.status, appointment.arrived_at, appointment.in_room_at, appointment.completed_at = S.COMPLETED, start - timedelta(minutes=5), start, end
            paid = roll < 0.85
    elif end <= now:  # earlier today: seen
        appointment.status, appointment.arrived_at, appointment.in_room_at, appointment.completed_at = S.COMPLETED, start - timedelta(minutes=5), start, end
        paid = roll < 0.6
    elif start <= now:  # under way now, or late: the patient has not come yet
        if roll < 0.35:
            appointment.status = S.CONFIRMED
        else:
            appointment.status, appointment.arrived_at, appointment.in_room_at = S.IN_ROOM, start - timedelta(minutes=8), start
    elif start <= now + timedelta(minutes=30):
        appointment.status = S.ARRIVED if roll < 0.5 else S.CONFIRMED
        if appointment.status == S.ARRIVED:
            appointment.arrived_at = now - timedelta(minutes=3)
    else:
        appointment.status = S.CONFIRMED
    for room in rooms or [None]:
        appointment.room = room
        try:
            with transaction.atomic():
                appointment.save()
                if paid and appointment.price > 0:
                    PatientPayment.objects.create(
                        appointment=appointment, patient=patient, amount=appointment.price, currency=clinic.currency,
                        method=rng.choice([PatientPayment.Method.CARD, PatientPayment.Method.CARD, PatientPayment.Method.CASH]),
                        received_at=appointment.completed_at or end,
                    )
            return 1
        except IntegrityError:
            appointment.pk = None
            continue  # that room (or the practitioner) is taken then: the next room, or leave the time free
    return 0
