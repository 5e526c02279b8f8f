"""A hand-built month boundary for the reports, the same in either test clinic.

A new practitioner ("Dra. Informe") works Mondays and Tuesdays 09:00–13:00 (local); one
service, "Limpieza <b>&</b> “extra”" (the name tests escaping), 30 minutes, 100.
Times are local to the clinic: 23:30 on 31 January and 00:30 on 1 February fall on
different UTC days in Madrid and in Mexico City, so grouping in UTC would move them.

Appointments (patient, local start, status):

  a0  B  2024-12-10 10:00  completed              (before the range: B is a returning patient)
  a1  A  2025-01-31 23:30  completed   Fri        January
  a2  B  2025-02-01 00:30  completed   Sat        February
  a3  C  2025-02-02 23:30  no-show     Sun        February, ISO week of 27 January
  a4  A  2025-02-03 00:30  completed   Mon        February, ISO week of 3 February
  a5  C  2025-02-04 10:00  cancelled by the patient at 08:00 that day (late: window 24 h)
  a6  C  2025-02-05 10:00  cancelled by the clinic on 1 February (early)
  a7  B  2025-02-06 10:00  cancelled by the system (an unpaid hold: not due)
  a8  B  2025-02-07 10:00  cancelled, rescheduled to a9 (not due)
  a9  B  2025-02-07 11:00  completed, rescheduled from a8
  a10 C  2025-02-08 10:00  completed   Sat        C's first visit: new in February

Money: invoice 1 (a1, 100, issued 31/01), its credit note (−100, 01/02), invoice 2 (a4,
base 100 + VAT 21, 03/02); payments 100 for a1 at 23:40 on 31/01, 100 for a2 at 00:40 on
01/02, 60 against invoice 2 on 03/02 (no appointment named), a refund of 30 of the second
completed on 10/02. Another practitioner's payment of 999 (not Dra. Informe's).
Time off: Dra. Informe 11:00–12:00 on 04/02; a clinic holiday all of 27/01.
Plans (Dra. Informe's): an estimate presented 31/01 23:30 and accepted (1000), one
presented 01/02 00:30 and rejected (500), one presented 02/02 and replaced by version
2 presented 05/02, still waiting.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from wagtail.models import ModelLogEntry

from portal.tenancy import clinic_context


def _at(zone, day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), zone)


def build(clinic):
    """The data set above in ``clinic`` (current transaction; rolled back after the test)."""
    from zoneinfo import ZoneInfo

    from clinic.models import Appointment, Estimate, Invoice, InvoiceLine, Patient, PatientPayment, Practitioner, Refund, Service, TimeOff, TreatmentPlan
    from clinic.models import WorkingHours
    from clinic.roles import Role
    from clinic.staff import add_staff_member

    zone = ZoneInfo(clinic.time_zone)
    S, By = Appointment.Status, Appointment.CancelledBy
    user, _ = add_staff_member(email=f"informe@{clinic.slug}.example", role=Role.PRACTITIONER, first_name="Informe", last_name="Prueba",
                               password="Test-Password-2026")
    doctor = Practitioner.objects.create(user=user, title="Dra.")
    other = Practitioner.objects.exclude(pk=doctor.pk).select_related("user").first()
    for weekday in (0, 1):
        WorkingHours.objects.create(practitioner=doctor, weekday=weekday, start=time(9), end=time(13))
    service = Service.objects.create(name="Limpieza <b>&</b> “extra”", duration_minutes=30, buffer_minutes=0, price=Decimal("100"))
    a, b, c = (Patient.objects.create(first_name=n, last_name="Informe") for n in ("Ana", "Beto", "Cris"))

    def book(patient, day, hour, minute=0, status=S.COMPLETED, **extra):
        start = _at(zone, day, hour, minute)
        appointment = Appointment(patient=patient, practitioner=doctor, service=service, start=start, end=start + timedelta(minutes=30),
                                  price=service.price, status=status, **extra)
        appointment.save()
        return appointment

    ap = {}
    ap[0] = book(b, date(2024, 12, 10), 10)
    ap[1] = book(a, date(2025, 1, 31), 23, 30)
    ap[2] = book(b, date(2025, 2, 1), 0, 30)
    ap[3] = book(c, date(2025, 2, 2), 23, 30, status=S.NO_SHOW)
    ap[4] = book(a, date(2025, 2, 3), 0, 30)
    ap[5] = book(c, date(2025, 2, 4), 10, status=S.CANCELLED, cancelled_by=By.PATIENT)
    ap[6] = book(c, date(2025, 2, 5), 10, status=S.CANCELLED, cancelled_by=By.CLINIC)
    ap[7] = book(b, date(2025, 2, 6), 10, status=S.CANCELLED, cancelled_by=By.SYSTEM)
    ap[8] = book(b, date(2025, 2, 7), 10, status=S.CANCELLED, cancelled_by=By.PATIENT, cancel_reason="rescheduled")
    ap[9] = book(b, date(2025, 2, 7), 11, rescheduled_from=ap[8])
    ap[10] = book(c, date(2025, 2, 8), 10)
    kind = ContentType.objects.get_for_model(Appointment)
    for appointment, when in ((ap[5], _at(zone, date(2025, 2, 4), 8)), (ap[6], _at(zone, date(2025, 2, 1), 9))):
        ModelLogEntry.objects.create(content_type=kind, object_id=str(appointment.pk), action="clinic.appointment.cancel", label="x", timestamp=when)

    def invoice(number, day, appointment, base, tax, kind=Invoice.Kind.INVOICE, corrects=None):
        moment = _at(zone, day, 12)
        row = Invoice.objects.create(kind=kind, series="T2025", number=number, issue_date=day, generated_at=moment, record_time=moment.isoformat(),
                                     issuer_name="Informe S.L.", issuer_tax_id="B12345674", issuer_address="Calle 1", recipient_name="Ana",
                                     currency=clinic.currency, base=base, tax=tax, total=base + tax, fingerprint=f"report-test-{clinic.slug}-{number}",
                                     patient=appointment.patient, appointment=appointment, corrects=corrects)
        InvoiceLine.objects.create(invoice=row, service=service, description="x", unit_price=base, base=base, tax=tax)
        return row

    first = invoice(9001, date(2025, 1, 31), ap[1], Decimal("100"), Decimal("0"))
    invoice(9002, date(2025, 2, 1), ap[1], Decimal("-100"), Decimal("0"), kind=Invoice.Kind.CREDIT, corrects=first)
    second = invoice(9003, date(2025, 2, 3), ap[4], Decimal("100"), Decimal("21"))

    def pay(amount, when, **extra):
        return PatientPayment.objects.create(amount=Decimal(amount), currency=clinic.currency, method=PatientPayment.Method.CARD, received_at=when,
                                             **extra)

    pay(100, _at(zone, date(2025, 1, 31), 23, 40), appointment=ap[1], patient=a)
    refunded = pay(100, _at(zone, date(2025, 2, 1), 0, 40), appointment=ap[2], patient=b)
    pay(60, _at(zone, date(2025, 2, 3), 9), invoice=second, patient=a)
    elsewhere = Appointment(patient=a, practitioner=other, service=service, start=_at(zone, date(2025, 1, 15), 10),
                            end=_at(zone, date(2025, 1, 15), 10, 30), price=service.price, status=S.COMPLETED)
    elsewhere.save()
    pay(999, _at(zone, date(2025, 1, 15), 11), appointment=elsewhere, patient=a)
    Refund.objects.create(payment=refunded, amount=Decimal("30"), currency=clinic.currency, status=Refund.Status.SUCCEEDED,
                          completed_at=_at(zone, date(2025, 2, 10), 12))
    refunded.refunded_amount = Decimal("30")
    refunded.save()
    TimeOff.objects.create(practitioner=doctor, start=_at(zone, date(2025, 2, 4), 11), end=_at(zone, date(2025, 2, 4), 12))
    TimeOff.objects.create(practitioner=None, start=_at(zone, date(2025, 1, 27), 0), end=_at(zone, date(2025, 1, 28), 0), reason="Fiesta")

    def estimate(patient, version, status, presented, plan=None, total="1000", **extra):
        plan = plan or TreatmentPlan.objects.create(patient=patient, title="Plan", practitioner=doctor, status=TreatmentPlan.Status.PRESENTED)
        amount = Decimal(total)
        Estimate.objects.create(plan=plan, version=version, status=status, presented_at=presented, valid_until=date(2025, 3, 31),
                                currency=clinic.currency, gross=amount, discount=0, base=amount, tax=0, total=amount, **extra)
        return plan

    E = Estimate.Status
    estimate(a, 1, E.ACCEPTED, _at(zone, date(2025, 1, 31), 23, 30), accepted_at=_at(zone, date(2025, 2, 2), 10), accepted_via=Estimate.Via.PAPER)
    estimate(b, 1, E.REJECTED, _at(zone, date(2025, 2, 1), 0, 30), total="500", rejected_at=_at(zone, date(2025, 2, 3), 10))
    replaced = estimate(c, 1, E.WITHDRAWN, _at(zone, date(2025, 2, 2), 10))
    estimate(c, 2, E.PRESENTED, _at(zone, date(2025, 2, 5), 10), plan=replaced, total="800")
    return {"doctor": doctor, "other": other, "service": service, "zone": zone, "appointments": ap, "user": user}


@pytest.fixture
def boundary():
    """``boundary(clinic)``: the data set in that clinic, then the names it made."""

    def make(clinic):
        with clinic_context(clinic):
            return build(clinic)

    return make
