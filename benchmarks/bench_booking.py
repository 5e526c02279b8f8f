"""Booking benchmark: free-slot search and concurrent booking.

    .venv/bin/python benchmarks/bench_booking.py [--appointments 2000] [--runs 30] [--clients 8] [--seconds 10]

In a throw-away clinic (dropped at the end) with 5 practitioners working Monday to
Friday 8:00–14:00 and 15:00–20:00, and ``--appointments`` booked over the next 30 days:
- free slots for one practitioner over 30 days, and for "any practitioner" across 5,
  with ``clinic.availability.find_slots`` beside the naive way measured in the same run
  (each candidate slot checked with its own query);
- booking throughput with ``--clients`` concurrent clients, each on its own
  connection, and the number of double bookings found afterwards (must be 0).
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.availability import find_slots  # noqa: E402
from clinic.actions import BookAppointment, BookingError  # noqa: E402
from clinic.models import Appointment, BookingSettings, Patient, Practitioner, Service, WorkingHours  # noqa: E402
from clinic.staff import add_staff_member  # noqa: E402
from clinic.roles import Role  # noqa: E402
from portal.tenancy import clinic_context, public_context  # noqa: E402
from tenants.models import Clinic  # noqa: E402
from tenants.services import create_clinic, ensure_platform  # noqa: E402

ZONE = ZoneInfo("Europe/Madrid")


def summary_ms(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   (n={len(ordered)})"


def naive_slots(service, practitioner, start, end, step=timedelta(minutes=15)):
    """The naive way: walk every candidate and ask the database about each one."""
    found = []
    hours = list(WorkingHours.objects.filter(practitioner=practitioner))
    day = start
    while day <= end:
        for stretch in hours:
            if stretch.weekday != day.weekday():
                continue
            candidate = datetime.combine(day, stretch.start, ZONE)
            closing = datetime.combine(day, stretch.end, ZONE)
            while candidate + timedelta(minutes=service.duration_minutes) <= closing:
                finish = candidate + timedelta(minutes=service.duration_minutes + service.buffer_minutes)
                if not Appointment.objects.holding_time().filter(practitioner=practitioner, occupied__overlap=(candidate, finish)).exists():
                    found.append(candidate)
                candidate += step
        day += timedelta(days=1)
    return found


def fill(clinic, appointments):
    """Five practitioners with weekday hours and ``appointments`` booked in the next 30 days."""
    service = Service.objects.create(name="Bench consulta", duration_minutes=30, buffer_minutes=0, price=50, payment_policy=Service.PaymentPolicy.AT_CLINIC)
    practitioners = []
    for i in range(5):
        user, _ = add_staff_member(email=f"p{i}@bench.example", role=Role.PRACTITIONER, first_name=f"P{i}", last_name="Bench")
        practitioner = Practitioner.objects.create(user=user)
        practitioner.services.add(service)
        WorkingHours.objects.bulk_create(
            WorkingHours(practitioner=practitioner, weekday=d, start=s, end=e) for d in range(5) for s, e in ((time(8), time(14)), (time(15), time(20)))
        )
        practitioners.append(practitioner)
    settings_row = BookingSettings.load()
    settings_row.min_notice_hours, settings_row.horizon_days, settings_row.slot_step_minutes = 0, 60, 15
    settings_row.save()
    patient = Patient.objects.create(first_name="Bench", last_name="Patient")
    today = timezone.localdate(timezone=ZONE) + timedelta(days=1)
    rows, taken = [], set()
    rng = random.Random(7)
    while len(rows) < appointments:
        practitioner = rng.choice(practitioners)
        day = today + timedelta(days=rng.randrange(30))
        if day.weekday() > 4:
            continue
        hour = rng.choice([8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19])
        start = datetime.combine(day, time(hour, rng.choice([0, 30])), ZONE)
        if (practitioner.pk, start) in taken:
            continue
        taken.add((practitioner.pk, start))
        appointment = Appointment(patient=patient, practitioner=practitioner, service=service, start=start, end=start + timedelta(minutes=30), price=50)
        appointment.occupied = (start, start + timedelta(minutes=30))
        rows.append(appointment)
    from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

    for row in rows:
        row.occupied = DateTimeTZRange(row.start, row.end, "[)")
    Appointment.objects.bulk_create(rows, batch_size=500)
    return service, practitioners, today


def bench_slots(service, practitioners, today, runs):
    end = today + timedelta(days=29)
    one, any_, naive = [], [], []
    for _ in range(runs):
        started = clock.perf_counter()
        found = find_slots(service=service, practitioner=practitioners[0], start=today, end=end)
        one.append(clock.perf_counter() - started)
        started = clock.perf_counter()
        find_slots(service=service, start=today, end=end)
        any_.append(clock.perf_counter() - started)
    for _ in range(max(3, runs // 10)):
        started = clock.perf_counter()
        baseline = naive_slots(service, practitioners[0], today, end)
        naive.append(clock.perf_counter() - started)
    assert {s.start for s in found} == set(baseline), "the engine and the naive way disagree"
    print(f"Free slots over 30 days ({Appointment.objects.count()} appointments in the clinic)")
    print(f"  one practitioner, find_slots          {summary_ms(one)}   target: median <= 20 ms")
    print(f"  any of 5 practitioners, find_slots    {summary_ms(any_)}   target: median <= 50 ms")
    print(f"  baseline: naive, a query per slot     {summary_ms(naive)}   ({len(baseline)} free slots, same answer)")


def bench_booking(clinic, service, practitioners, today, clients, seconds):
    with clinic_context(clinic):
        patients = [Patient.objects.create(first_name=f"Concurrent{i}", last_name="Bench") for i in range(clients)]
        candidates = [s.start for s in find_slots(service=service, start=today, end=today + timedelta(days=13))]
    booked, refused, errors = [0], [0], []
    lock = threading.Lock()
    deadline = clock.monotonic() + seconds

    def client(patient, seed):
        rng = random.Random(seed)
        try:
            with clinic_context(clinic):
                while clock.monotonic() < deadline:
                    start = rng.choice(candidates)  # clients collide often on purpose
                    try:
                        BookAppointment(patient=patient, service=service, start=start, practitioner=rng.choice(practitioners), pay_online=False).execute()
                        with lock:
                            booked[0] += 1
                    except BookingError:
                        with lock:
                            refused[0] += 1
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(p, i)) for i, p in enumerate(patients)]
    started = clock.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = clock.perf_counter() - started
    with clinic_context(clinic), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM clinic_appointment a JOIN clinic_appointment b ON a.id < b.id AND a.practitioner_id = b.practitioner_id "
            "AND a.occupied && b.occupied WHERE a.status IN ('pending_payment','confirmed','completed','no_show') "
            "AND b.status IN ('pending_payment','confirmed','completed','no_show')"
        )
        doubles = cursor.fetchone()[0]
    attempts = booked[0] + refused[0]
    print(f"\nBooking with {clients} concurrent clients for {seconds} s (each its own connection)")
    print(f"  {attempts / elapsed:6.1f} attempts/s, {booked[0] / elapsed:6.1f} bookings/s; {booked[0]} booked, {refused[0]} refused as taken")
    print(f"  double bookings found afterwards: {doubles}   (must be 0)   errors: {len(errors)} {errors[:2]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    ensure_platform()
    slug = f"bench-booking-{int(clock.time())}"
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        from django_q.conf import Conf

        Conf.SYNC = True  # confirmation e-mails go to memory, not to the dev queue
        clinic, _ = create_clinic(name="Bench booking", slug=slug, admin_email=f"admin@{slug}.example")
        try:
            with clinic_context(clinic):
                service, practitioners, today = fill(clinic, args.appointments)
                bench_slots(service, practitioners, today, args.runs)
            bench_booking(clinic, service, practitioners, today, args.clients, args.seconds)
        finally:
            with public_context():
                Clinic.objects.get(pk=clinic.pk).delete(force_drop=True)


if __name__ == "__main__":
    main()
