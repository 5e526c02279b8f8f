"""Invoice benchmark: issuing invoices from concurrent workers.

    .venv/bin/python benchmarks/bench_invoices.py [--invoices 1000] [--workers 8]

In a throw-away clinic (dropped at the end), ``--workers`` threads, each with its own
database connection, issue ``--invoices`` invoices between them through
``IssueInvoice`` (the clinic's invoice lock, the series row, the chained fingerprint,
the lines and the audit entry, one transaction each). It prints the per-invoice time
(median and p95, waiting for the lock included), the wall time, and then checks the
result: numbers 1…N with no gap and no duplicate, and the chain intact. Baseline, same
run and workers: recording a desk payment (one plain insert, no lock, no chain).
Last, the balance of a patient with 500 payments, beside summing the rows in Python.
The targets (issue 11): ≤ 20 ms median per invoice, zero gaps; the balance ≤ 20 ms.
"""

import argparse
import os
import sys
import threading
import time as clock
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from django.test import override_settings  # noqa: E402

from clinic.actions.invoices import IssueInvoice, Line, verify_chain  # noqa: E402
from clinic.balance import patient_balance  # noqa: E402
from clinic.models import Invoice, InvoicingSettings, Patient, PatientPayment  # noqa: E402
from portal.tenancy import clinic_context, public_context  # noqa: E402
from tenants.models import Clinic  # noqa: E402
from tenants.services import create_clinic, ensure_platform  # noqa: E402

from benchlib import summary, timed  # noqa: E402


def run(clinic, workers, total, task):
    """``total`` calls of ``task(i)`` spread over ``workers`` threads; per-call times and wall time."""
    samples, lock, counter = [], threading.Lock(), iter(range(total))
    barrier = threading.Barrier(workers)

    def worker():
        try:
            with clinic_context(clinic):
                barrier.wait()
                while True:
                    with lock:
                        i = next(counter, None)
                    if i is None:
                        return
                    started = clock.perf_counter()
                    task(i)
                    elapsed = clock.perf_counter() - started
                    with lock:
                        samples.append(elapsed)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    started = clock.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, clock.perf_counter() - started




def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    ensure_platform()
    slug = f"bench-invoices-{int(clock.time())}"
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ALLOWED_HOSTS=["*"]):
        clinic, _ = create_clinic(name="Bench invoices", slug=slug, admin_email=f"admin@{slug}.example", time_zone="Europe/Madrid")
        try:
            with clinic_context(clinic):
                settings = InvoicingSettings.load()
                settings.legal_name, settings.tax_id, settings.address = "Bench S.L.", "B12345674", "Calle Mayor 1, Madrid"
                settings.save()
                patients = Patient.objects.bulk_create(Patient(first_name=f"P{i}", last_name="Bench") for i in range(50))
            print(f"{args.invoices} invoices from {args.workers} concurrent workers:")
            line = [Line("Revisión", Decimal("45.00")), Line("Radiografía", Decimal("20.00"), tax_rate=Decimal("21"))]
            samples, wall = run(clinic, args.workers, args.invoices,
                                lambda i: IssueInvoice(patients[i % len(patients)], lines=line).execute())
            print(f"  issue an invoice            {summary(samples)}   wall {wall:5.1f} s ({wall / args.invoices * 1000:.1f} ms per invoice)")
            samples, wall = run(clinic, 1, args.invoices // 4, lambda i: IssueInvoice(patients[i % len(patients)], lines=line).execute())
            print(f"  the same, one worker        {summary(samples)}   wall {wall:5.1f} s ({wall / (args.invoices // 4) * 1000:.1f} ms per invoice)")
            samples, wall = run(clinic, args.workers, args.invoices, lambda i: PatientPayment.objects.create(
                patient=patients[i % len(patients)], amount=Decimal("45.00"), currency="EUR", method=PatientPayment.Method.CASH))
            print(f"  baseline: record a payment  {summary(samples)}   wall {wall:5.1f} s")
            with clinic_context(clinic):
                # The balance of a patient with 500 payments (and their invoices), beside summing in Python.
                patient = patients[0]
                PatientPayment.objects.bulk_create(PatientPayment(patient=patient, amount=Decimal("12.50"), currency="EUR",
                                                                  method=PatientPayment.Method.CARD) for _ in range(500))
                paid = PatientPayment.objects.filter(patient=patient).count()
                invoiced = Invoice.objects.filter(patient=patient).count()
                samples = timed(lambda: patient_balance(patient), 50)
                print(f"  balance, {paid} payments, {invoiced} invoices  {summary(samples)}")
                samples = timed(lambda: sum(p.amount - p.refunded_amount for p in PatientPayment.objects.filter(patient=patient)), 50)
                print(f"  baseline: summing the rows in Python       {summary(samples)}")
                numbers = sorted(Invoice.objects.values_list("number", flat=True))
                gaps = len(set(range(1, numbers[-1] + 1)) - set(numbers))
                duplicates = len(numbers) - len(set(numbers))
                print(f"  numbers 1…{numbers[-1]}: {gaps} gaps, {duplicates} duplicates; chain breaks: {len(verify_chain())}")
        finally:
            with public_context():
                Clinic.objects.get(pk=clinic.pk).delete(force_drop=True)


if __name__ == "__main__":
    main()
