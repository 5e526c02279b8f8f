"""Balance benchmark: the balance of a patient with 500 payments.

    .venv/bin/python benchmarks/bench_balance.py [--payments 500] [--runs 50] [--others 20000]

In a throw-away clinic (dropped at the end), one patient has ``--payments`` payments
(cash, card, transfer, financing, online; a third against invoices, a third against
appointments), 150 invoices issued through ``IssueInvoice`` (10 of them cancelled by
credit notes), 200 completed appointments (50 not invoiced yet) and 40 refunds; the
other patients of the clinic hold ``--others`` payments between them, so the indexes
have to find this patient's rows among many. It prints the median and p95 of
``clinic.balance.patient_balance`` over ``--runs`` runs with its query count, beside a
baseline in the same run: the same figures summed row by row in Python from every row
of the patient (what the balance would cost without aggregates). It checks both give
the same figures. Last, the patient's invoice list with what is outstanding on each
(the 50 latest, as the portal shows them). The target (issue 11): the balance ≤ 20 ms
median.
"""

import argparse
import os
import random
import sys
import time as clock
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.actions.invoices import IssueCreditNote, IssueInvoice, Line, lines_for_appointment  # noqa: E402
from clinic.balance import ZERO, Balance, patient_balance  # noqa: E402
from clinic.models import Appointment, Invoice, InvoicingSettings, Patient, PatientPayment, Practitioner, Refund, Service  # noqa: E402
from clinic.roles import Role  # noqa: E402
from clinic.staff import add_staff_member  # noqa: E402
from portal.tenancy import clinic_context, public_context  # noqa: E402
from tenants.models import Clinic  # noqa: E402
from tenants.services import create_clinic, ensure_platform  # noqa: E402

from benchlib import summary, timed  # noqa: E402

ZONE = ZoneInfo("Europe/Madrid")
METHODS = [PatientPayment.Method.CASH, PatientPayment.Method.CARD, PatientPayment.Method.TRANSFER, PatientPayment.Method.FINANCING]


def fill(*, payments: int, others: int):
    """The patient and their history (see the module's docstring); returns the patient."""
    rng = random.Random(11)
    settings = InvoicingSettings.load()
    settings.legal_name, settings.tax_id, settings.address = "Bench S.L.", "B12345674", "Calle Mayor 1, Madrid"
    settings.save()
    service = Service.objects.create(name="Revisión", duration_minutes=30, buffer_minutes=0, price=Decimal("45"))
    user, _ = add_staff_member(email="dra@bench.example", role=Role.PRACTITIONER, first_name="Dra", last_name="Bench", password="Bench-Password-2026")
    practitioner = Practitioner.objects.create(user=user, title="Dra.", active=True)
    patient = Patient.objects.create(first_name="Quinientos", last_name="Pagos")
    others_patients = Patient.objects.bulk_create(Patient(first_name=f"P{i}", last_name="Bench") for i in range(400))
    first_day = timezone.localdate(timezone=ZONE) - timedelta(days=730)
    rows = []
    for i in range(200):
        at = datetime.combine(first_day + timedelta(days=3 * i), time(10), ZONE)
        row = Appointment(patient=patient, practitioner=practitioner, service=service, start=at, end=at + timedelta(minutes=30),
                          price=service.price, status=Appointment.Status.COMPLETED)
        row.occupied = DateTimeTZRange(row.start, row.end, "[)")
        rows.append(row)
    appointments = Appointment.objects.bulk_create(rows)
    invoices = [IssueInvoice(patient, lines=lines_for_appointment(a), appointment=a).execute() for a in appointments[:150]]
    for invoice in invoices[:10]:
        IssueCreditNote(invoice, reason="Error en los datos").execute()
    ledger = []
    for i in range(payments):
        method = PatientPayment.Method.ONLINE if i % 5 == 0 else rng.choice(METHODS)
        invoice = invoices[i % len(invoices)] if i % 3 == 0 else None
        appointment = appointments[i % len(appointments)] if i % 3 == 1 else None
        ledger.append(PatientPayment(patient=patient, invoice=invoice, appointment=appointment, amount=Decimal(rng.randrange(500, 2000)) / 100,
                                     currency="EUR", method=method, stripe_payment_intent=f"pi_bench_{i}" if method == PatientPayment.Method.ONLINE else None,
                                     received_at=timezone.now() - timedelta(days=rng.randrange(0, 730))))
    ledger = PatientPayment.objects.bulk_create(ledger)
    refunds = []
    for payment in rng.sample(ledger, 40):
        amount = (payment.amount / 2).quantize(Decimal("0.01"))
        refunds.append(Refund(payment=payment, amount=amount, currency="EUR", status=Refund.Status.SUCCEEDED, reason="bench", completed_at=timezone.now()))
        payment.refunded_amount = amount
    Refund.objects.bulk_create(refunds)
    PatientPayment.objects.bulk_update([r.payment for r in refunds], ["refunded_amount"])
    PatientPayment.objects.bulk_create((PatientPayment(patient=rng.choice(others_patients), amount=Decimal("30.00"), currency="EUR",
                                                       method=rng.choice(METHODS)) for _ in range(others)), batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return patient


def balance_in_python(patient) -> Balance:
    """Baseline: every row of the patient fetched and summed in Python."""
    invoiced = sum((i.total for i in Invoice.objects.filter(patient=patient)), ZERO)
    paid = sum((p.amount - p.refunded_amount for p in PatientPayment.objects.filter(patient=patient)), ZERO)
    invoiced_ids = set(Invoice.objects.filter(patient=patient, kind=Invoice.Kind.INVOICE, appointment__isnull=False).values_list("appointment_id", flat=True))
    uninvoiced = sum((a.price for a in Appointment.objects.filter(patient=patient, status=Appointment.Status.COMPLETED) if a.pk not in invoiced_ids), ZERO)
    return Balance(invoiced=invoiced, paid=paid, uninvoiced=uninvoiced)


def count_queries(fn) -> int:
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        fn()
    return len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=500)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--others", type=int, default=20000)
    args = parser.parse_args()
    ensure_platform()
    slug = f"bench-balance-{int(clock.time())}"
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ALLOWED_HOSTS=["*"]):
        clinic, _ = create_clinic(name="Bench balance", slug=slug, admin_email=f"admin@{slug}.example", time_zone="Europe/Madrid")
        try:
            with clinic_context(clinic):
                started = clock.perf_counter()
                patient = fill(payments=args.payments, others=args.others)
                counts = (PatientPayment.objects.filter(patient=patient).count(), Invoice.objects.filter(patient=patient).count(),
                          Appointment.objects.filter(patient=patient).count(), Refund.objects.filter(payment__patient=patient).count())
                print(f"one patient: {counts[0]} payments, {counts[1]} invoices and credit notes, {counts[2]} appointments, {counts[3]} refunds;"
                      f" {args.others} payments of 400 other patients (filled in {clock.perf_counter() - started:.1f} s)")
                ours, baseline = patient_balance(patient), balance_in_python(patient)
                same = ours == baseline
                print(f"  figures: invoiced {ours.invoiced}, paid {ours.paid}, not yet invoiced {ours.uninvoiced}, pending {ours.pending},"
                      f" in favour {ours.credit}; the baseline agrees: {'yes' if same else f'NO ({baseline})'}")
                samples = timed(lambda: patient_balance(patient), args.runs)
                print(f"  patient_balance                        {summary(samples, count_queries(lambda: patient_balance(patient)))}")
                samples = timed(lambda: balance_in_python(patient), args.runs)
                print(f"  baseline: every row summed in Python   {summary(samples, count_queries(lambda: balance_in_python(patient)))}")

                def invoice_list():
                    return list(Invoice.objects.with_outstanding().filter(patient=patient).order_by("-pk")[:50])

                samples = timed(invoice_list, args.runs)
                print(f"  the 50 latest invoices, outstanding    {summary(samples, count_queries(invoice_list))}")
                if not same:
                    sys.exit(1)
        finally:
            with public_context():
                Clinic.objects.get(pk=clinic.pk).delete(force_drop=True)


if __name__ == "__main__":
    main()
