"""Reports benchmark: every staff report over a year of a busy clinic.

    .venv/bin/python benchmarks/bench_reports.py [--appointments 20000] [--payments 15000] [--runs 15]

In a throw-away clinic (Madrid; dropped at the end) 8 practitioners work Monday to
Friday 09:00–14:00 and 16:00–20:00, with a fortnight off each and four clinic holidays;
over the last year they have ``--appointments`` appointments (about 80 % completed, 6 %
no-shows, 10 % cancelled, half of them late, each with its cancellation's audit entry,
the rest confirmed) of 3,000 patients, ``--payments`` payments (most for an appointment,
some against an invoice), 3,000 invoices and 100 credit notes, 300 refunds and 400
estimates; for the clinic-wide reports, 600 expenses due over the year, the practitioners'
monthly pay statements (approved, the last month's drafts), 60 supplies in 6 categories
and ``--movements`` stock movements (deliveries, use in visits, some short, and use by
hand). The rows are written in bulk, straight to the tables (invoices too: their
chain is not what is measured here).

For each report (clinic.reports.REGISTRY) it prints the median and p95 of ``rows()``
over ``--runs`` runs for the whole year and every practitioner, with its query count,
then of its whole admin page (signed in as a clinic admin: filters, chart, table),
beside a baseline in the same run: the same figures computed row by row in Python from
every row the report reads (grouped by local month or week with ``zoneinfo``). It
checks both give the same figures and exits 1 if any differs. The target (issue 12):
≤ 300 ms median each.
"""

import argparse
import os
import random
import sys
import time as clock
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from wagtail.models import ModelLogEntry  # noqa: E402

from clinic.models import (  # noqa: E402
    Appointment, BookingSettings, Estimate, Expense, ExpenseCategory, Invoice, InvoiceLine, Patient, PatientPayment, PayStatement, Practitioner, Refund,
    Service, TimeOff, TreatmentPlan, WorkingHours,
)
from clinic.inventory.models import StockMovement, Supply, SupplyCategory  # noqa: E402
from clinic.reports.base import REGISTRY, Filters  # noqa: E402
from clinic.roles import Role  # noqa: E402
from clinic.staff import add_staff_member  # noqa: E402
from portal.tenancy import clinic_context, public_context  # noqa: E402
from tenants.models import Clinic  # noqa: E402
from tenants.services import create_clinic, ensure_platform  # noqa: E402

from benchlib import keep_one_connection, summary, timed  # noqa: E402

ZONE = ZoneInfo("Europe/Madrid")
PASSWORD = "Bench-Password-2026"
ZERO = Decimal("0.00")
STRETCHES = ((time(9), time(14)), (time(16), time(20)))


def fill_costs_and_stock(rng, doctors, done, days, today, *, movements: int):
    """A year of expenses and pay statements, and of stock movements, straight to the tables."""
    from portal.models import User

    kinds = ExpenseCategory.objects.bulk_create(ExpenseCategory(name=f"Gasto {i}") for i in range(5))
    Expense.objects.bulk_create(
        Expense(category=rng.choice(kinds), description="bench", amount=Decimal(rng.randrange(20, 3000)), due_date=day,
                paid_date=day if rng.random() < 0.7 else None) for day in (rng.choice(days) for _ in range(600)))
    first = days[0].replace(day=1)
    months, m = [], first
    while m <= today:
        months.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    statements = []
    for d in doctors:
        for m in months:
            fixed, draft = Decimal(rng.randrange(1500, 3000)), m == months[-1]
            statements.append(PayStatement(practitioner=d, month=m, model="fixed", fixed_part=fixed, commission=ZERO, total=fixed,
                                           status="draft" if draft else "approved", approved_at=None if draft else datetime.combine(m, time(12), ZONE)))
    PayStatement.objects.bulk_create(statements)
    author = User.objects.filter(is_superuser=False).first()
    categories = SupplyCategory.objects.bulk_create(SupplyCategory(name=f"Categoría {i}") for i in range(6))
    supplies = Supply.objects.bulk_create(Supply(name=f"Material {i}", category=categories[i % 6], cost_price=Decimal(rng.randrange(5, 5000)) / 100,
                                                 stock=Decimal(rng.randrange(0, 200)), active=i % 20 != 0) for i in range(60))
    rows, used_by = [], set()
    for _ in range(movements):
        supply, roll = rng.choice(supplies), rng.random()
        at = datetime.combine(rng.choice(days), time(rng.randrange(0, 24), rng.randrange(60)), ZONE)
        if roll < 0.15:
            rows.append(StockMovement(supply=supply, kind="in", quantity=Decimal(rng.randrange(10, 100)), stock_after=Decimal(100), unit_cost=supply.cost_price,
                                      author=author, created_at=at))
            continue
        quantity = Decimal(rng.randrange(1, 20)) / 4
        if roll < 0.85:
            visit = rng.choice(done)
            if (visit.pk, supply.pk) in used_by:
                continue
            used_by.add((visit.pk, supply.pk))
            short = quantity / 2 if roll > 0.8 else ZERO
            rows.append(StockMovement(supply=supply, kind="consumption", quantity=-(quantity - short), shortfall=short, stock_after=ZERO,
                                      unit_cost=supply.cost_price, appointment=visit, created_at=at))
        else:
            rows.append(StockMovement(supply=supply, kind="out", quantity=-quantity, stock_after=ZERO, unit_cost=supply.cost_price, reason="bench",
                                      author=author, created_at=at))
    StockMovement.objects.bulk_create(rows, batch_size=5000)


def fill(*, appointments: int, payments: int, today: date, movements: int = 20000):
    """The clinic's year (see the module's docstring)."""
    rng = random.Random(12)
    S, By = Appointment.Status, Appointment.CancelledBy
    services = [Service.objects.create(name=f"Servicio {i}", duration_minutes=30, buffer_minutes=0, price=Decimal(40 + 20 * i)) for i in range(6)]
    doctors = []
    for i in range(8):
        user, _ = add_staff_member(email=f"dr{i}@bench.example", role=Role.PRACTITIONER, first_name=f"Dr {i}", last_name="Bench")
        doctors.append(Practitioner.objects.create(user=user, title="Dr."))
    WorkingHours.objects.bulk_create(WorkingHours(practitioner=d, weekday=w, start=a, end=b) for d in doctors for w in range(5) for a, b in STRETCHES)
    first_day = today - timedelta(days=364)
    offs = [TimeOff(practitioner=d, start=datetime.combine(first_day + timedelta(days=30 * i + 20), time.min, ZONE),
                    end=datetime.combine(first_day + timedelta(days=30 * i + 34), time.min, ZONE)) for i, d in enumerate(doctors)]
    offs += [TimeOff(start=datetime.combine(first_day + timedelta(days=d), time.min, ZONE), end=datetime.combine(first_day + timedelta(days=d + 1), time.min, ZONE))
             for d in (40, 120, 200, 300)]
    TimeOff.objects.bulk_create(offs)
    patients = Patient.objects.bulk_create(Patient(first_name=f"P{i}", last_name="Bench") for i in range(3000))
    days = [first_day + timedelta(days=d) for d in range(365) if (first_day + timedelta(days=d)).weekday() < 5]
    slots = [(d, doc, datetime.combine(d, a, ZONE) + timedelta(minutes=30 * k)) for d in days for doc in doctors for a, b in STRETCHES
             for k in range((b.hour - a.hour) * 2)]
    chosen = sorted(rng.sample(slots, appointments), key=lambda s: s[2])
    rows = []
    for _day, doctor, start in chosen:
        service, roll = rng.choice(services), rng.random()
        status, by = (S.COMPLETED, "") if roll < 0.80 else (S.NO_SHOW, "") if roll < 0.86 else (S.CANCELLED, rng.choice([By.PATIENT, By.CLINIC])) \
            if roll < 0.96 else (S.CONFIRMED, "")
        row = Appointment(patient=rng.choice(patients), practitioner=doctor, service=service, start=start, end=start + timedelta(minutes=30),
                          price=service.price, status=status, cancelled_by=by)
        row.occupied = DateTimeTZRange(row.start, row.end, "[)")
        rows.append(row)
    made = Appointment.objects.bulk_create(rows, batch_size=5000)
    kind = ContentType.objects.get_for_model(Appointment)
    ModelLogEntry.objects.bulk_create((ModelLogEntry(content_type=kind, object_id=str(a.pk), action="clinic.appointment.cancel", label="bench",
                                                     timestamp=a.start - timedelta(hours=rng.choice([2, 6, 48, 96])))
                                       for a in made if a.status == S.CANCELLED), batch_size=5000)
    done = [a for a in made if a.status == S.COMPLETED]
    invoices = []
    for i, a in enumerate(rng.sample(done, 3000)):
        local = timezone.localtime(a.start, ZONE)
        invoices.append(Invoice(kind=Invoice.Kind.INVOICE, series="B", number=i + 1, issue_date=local.date(), generated_at=a.start, record_time="x",
                                issuer_name="Bench", issuer_tax_id="B1", issuer_address="x", recipient_name="x", currency="EUR", base=a.price, tax=ZERO,
                                total=a.price, fingerprint=f"bench-{i}", patient_id=a.patient_id, appointment=a))
    invoices = Invoice.objects.bulk_create(invoices, batch_size=2000)
    credits = [Invoice(kind=Invoice.Kind.CREDIT, series="R", number=i + 1, issue_date=min(inv.issue_date + timedelta(days=3), today), generated_at=inv.generated_at,
                       record_time="x", issuer_name="Bench", issuer_tax_id="B1", issuer_address="x", recipient_name="x", currency="EUR", base=-inv.total,
                       tax=ZERO, total=-inv.total, fingerprint=f"bench-r{i}", patient_id=inv.patient_id, appointment=inv.appointment, corrects=inv)
               for i, inv in enumerate(invoices[:100])]
    credits = Invoice.objects.bulk_create(credits)
    InvoiceLine.objects.bulk_create((InvoiceLine(invoice=inv, service_id=inv.appointment.service_id, description="x", unit_price=inv.base, base=inv.base,
                                                 tax=ZERO) for inv in invoices + credits), batch_size=5000)
    ledger = []
    by_appointment = rng.sample(done, min(len(done), payments - 1000))
    for a in by_appointment:
        ledger.append(PatientPayment(patient_id=a.patient_id, appointment=a, amount=a.price, currency="EUR", method=rng.choice(["card", "cash", "online"]),
                                     received_at=a.end + timedelta(minutes=rng.choice([5, 10, 60 * 6]))))
    for inv in rng.choices(invoices, k=payments - len(ledger)):
        ledger.append(PatientPayment(patient_id=inv.patient_id, invoice=inv, amount=inv.total / 2, currency="EUR", method="transfer",
                                     received_at=inv.generated_at + timedelta(days=2)))
    ledger = PatientPayment.objects.bulk_create(ledger, batch_size=5000)
    refunds = [Refund(payment=p, amount=(p.amount / 2).quantize(Decimal("0.01")), currency="EUR", status=Refund.Status.SUCCEEDED,
                      completed_at=p.received_at + timedelta(days=1)) for p in rng.sample(ledger, 300)]
    Refund.objects.bulk_create(refunds)
    plans = TreatmentPlan.objects.bulk_create(TreatmentPlan(patient=rng.choice(patients), title="Plan", practitioner=rng.choice(doctors)) for _ in range(400))
    E = Estimate.Status
    estimates = []
    for plan in plans:
        presented = datetime.combine(rng.choice(days), time(12), ZONE)
        status = rng.choice([E.ACCEPTED, E.ACCEPTED, E.REJECTED, E.PRESENTED, E.WITHDRAWN])
        amount = Decimal(rng.randrange(300, 3000))
        estimates.append(Estimate(plan=plan, version=1, status=status, presented_at=presented, valid_until=today, currency="EUR", gross=amount, discount=0,
                                  base=amount, tax=0, total=amount, accepted_at=presented + timedelta(days=3) if status == E.ACCEPTED else None,
                                  accepted_via="paper" if status == E.ACCEPTED else "", rejected_at=presented + timedelta(days=3) if status == E.REJECTED else None))
    Estimate.objects.bulk_create(estimates)
    fill_costs_and_stock(rng, doctors, done, days, today, movements=movements)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# -- the baseline: every row fetched, grouped in Python -----------------------------------


def month(value) -> date:
    local = timezone.localtime(value, ZONE) if isinstance(value, datetime) else value
    return date(local.year, local.month, 1)


def monday(value) -> date:
    day = timezone.localtime(value, ZONE).date()
    return day - timedelta(days=day.weekday())


def in_range(value, f) -> bool:
    return f.start <= timezone.localtime(value, ZONE).date() <= f.end


def months_of(f):
    out, m = [], f.start.replace(day=1)
    while m <= f.end:
        out.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    return out


def pct(part, whole):
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")) if whole else None


def payment_owner(p):
    return p.appointment.practitioner_id if p.appointment_id else (p.invoice.appointment.practitioner_id if p.invoice_id and p.invoice.appointment_id else None)


def payment_service(p):
    return p.appointment.service_id if p.appointment_id else (p.invoice.appointment.service_id if p.invoice_id and p.invoice.appointment_id else None)


def money_rows(f, key_invoice, key_line, key_payment):
    invoiced, collected = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for inv in Invoice.objects.select_related("appointment").prefetch_related("lines"):
        if f.start <= inv.issue_date <= f.end:
            if key_line:
                for line in inv.lines.all():
                    invoiced[key_line(inv, line)] += line.base + line.tax
            else:
                invoiced[key_invoice(inv)] += inv.total
    for p in PatientPayment.objects.select_related("appointment", "invoice__appointment"):
        if in_range(p.received_at, f):
            collected[key_payment(p, p.received_at)] += p.amount
    for r in Refund.objects.filter(status=Refund.Status.SUCCEEDED).select_related("payment__appointment", "payment__invoice__appointment"):
        if in_range(r.completed_at or r.created, f):
            collected[key_payment(r.payment, r.completed_at or r.created)] -= r.amount
    return invoiced, collected


def baseline(slug, f):
    """The same rows as REGISTRY[slug]().rows(f), from every row, in Python."""
    names = {p.pk: p.display_name for p in Practitioner.objects.select_related("user")}
    services = dict(Service.objects.values_list("pk", "name"))
    S = Appointment.Status
    if slug == "ingresos-por-mes":
        inv, col = money_rows(f, lambda i: month(i.issue_date), None, lambda p, at: month(at))
        return [{"month": m, "invoiced": inv[m], "collected": col[m]} for m in months_of(f)]
    if slug in ("ingresos-por-servicio", "ingresos-por-profesional"):
        by_service = slug == "ingresos-por-servicio"
        inv, col = money_rows(f, lambda i: i.appointment.practitioner_id if i.appointment_id else None,
                              (lambda i, line: line.service_id) if by_service else None,
                              (lambda p, at: payment_service(p)) if by_service else (lambda p, at: payment_owner(p)))
        label, table, nobody = ("service", services, "No service") if by_service else ("practitioner", names, "No practitioner")
        return sorted(({label: table.get(k, nobody), "invoiced": inv[k], "collected": col[k]} for k in inv.keys() | col.keys() if inv[k] or col[k]),
                      key=lambda r: r[label])
    if slug.startswith("ocupacion"):
        cells = defaultdict(lambda: [0, 0])
        hours = defaultdict(list)
        for wh in WorkingHours.objects.all():
            hours[wh.weekday].append(wh)
        offs = list(TimeOff.objects.all())
        day = f.start
        while day <= f.end:
            for wh in hours[day.weekday()]:
                a, b = datetime.combine(day, wh.start, ZONE), datetime.combine(day, wh.end, ZONE)
                spans = sorted((max(a, t.start), min(b, t.end)) for t in offs if t.practitioner_id in (None, wh.practitioner_id) and t.start < b and t.end > a)
                covered, cursor = timedelta(0), a
                for s, e in spans:
                    if e > cursor:
                        covered += e - max(s, cursor)
                        cursor = e
                cells[(wh.practitioner_id, day - timedelta(days=day.weekday()))][1] += int(((b - a) - covered).total_seconds() // 60)
            day += timedelta(days=1)
        for a in Appointment.objects.filter(status__in=Appointment.BLOCKING):
            if in_range(a.start, f):
                cells[(a.practitioner_id, monday(a.start))][0] += int((a.end - a.start).total_seconds() // 60)
        totals = defaultdict(lambda: [0, 0])
        for (who, week), (booked, available) in cells.items():
            key = week if slug == "ocupacion-por-semana" else who
            totals[key][0] += booked
            totals[key][1] += available
        if slug == "ocupacion-por-semana":
            weeks, w = [], f.start - timedelta(days=f.start.weekday())
            while w <= f.end:
                weeks.append(w)
                w += timedelta(days=7)
            return [{"week": w, "booked": totals[w][0], "available": totals[w][1], "occupancy": pct(*totals[w])} for w in weeks]
        return sorted(({"practitioner": names[k], "booked": b, "available": a, "occupancy": pct(b, a)} for k, (b, a) in totals.items()),
                      key=lambda r: r["practitioner"])
    if slug == "ausencias-y-cancelaciones":
        window = timedelta(hours=BookingSettings.load().cancellation_window_hours)
        kind = ContentType.objects.get_for_model(Appointment)
        cancelled_at = {}
        for entry in ModelLogEntry.objects.filter(content_type=kind, action="clinic.appointment.cancel").order_by("timestamp"):
            cancelled_at[int(entry.object_id)] = entry.timestamp
        moved = set(Appointment.objects.filter(rescheduled_from__isnull=False).values_list("rescheduled_from_id", flat=True))
        counts = defaultdict(Counter)
        for a in Appointment.objects.all():
            if not in_range(a.start, f) or a.pk in moved or a.status == S.PENDING_PAYMENT or (a.status == S.CANCELLED and a.cancelled_by == "system"):
                continue
            c = counts[month(a.start)]
            c["due"] += 1
            c["no_shows"] += a.status == S.NO_SHOW
            at = cancelled_at.get(a.pk)
            c["late"] += a.status == S.CANCELLED and a.cancelled_by in ("patient", "clinic") and at is not None and at > a.start - window
        return [{"month": m, "due": counts[m]["due"], "no_shows": counts[m]["no_shows"], "late": counts[m]["late"],
                 "no_show_rate": pct(counts[m]["no_shows"], counts[m]["due"]), "late_rate": pct(counts[m]["late"], counts[m]["due"])} for m in months_of(f)]
    if slug == "pacientes-nuevos-y-recurrentes":
        first, seen = {}, defaultdict(set)
        for a in Appointment.objects.filter(status=S.COMPLETED).order_by("start"):
            first.setdefault(a.patient_id, month(a.start))
            if in_range(a.start, f):
                seen[month(a.start)].add(a.patient_id)
        return [{"month": m, "new": sum(first[p] == m for p in seen[m]), "returning": sum(first[p] != m for p in seen[m])} for m in months_of(f)]
    if slug == "servicios-mas-realizados":
        visits, value = Counter(), defaultdict(lambda: ZERO)
        for a in Appointment.objects.filter(status=S.COMPLETED):
            if in_range(a.start, f):
                visits[a.service_id] += 1
                value[a.service_id] += a.price
        ranked = sorted(visits, key=lambda k: (-visits[k], services[k]))[:10]
        return [{"service": services[k], "visits": visits[k], "value": value[k]} for k in ranked]
    if slug == "aceptacion-de-planes":
        counts, value = defaultdict(Counter), defaultdict(lambda: ZERO)
        for e in Estimate.objects.all():
            if in_range(e.presented_at, f) and e.status != Estimate.Status.WITHDRAWN:
                m = month(e.presented_at)
                counts[m]["presented"] += 1
                counts[m]["accepted"] += e.accepted_at is not None
                counts[m]["rejected"] += e.rejected_at is not None
                value[m] += e.total if e.accepted_at else ZERO
        return [{"month": m, "presented": counts[m]["presented"], "accepted": counts[m]["accepted"], "rejected": counts[m]["rejected"],
                 "rate": pct(counts[m]["accepted"], counts[m]["presented"]), "value": value[m]} for m in months_of(f)]
    if slug == "finanzas-mensuales":
        inv, col = money_rows(f, lambda i: month(i.issue_date), None, lambda p, at: month(at))
        spent, pay, drafts = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
        for e in Expense.objects.all():
            if f.start.replace(day=1) <= e.due_date <= f.end:
                spent[month(e.due_date)] += e.amount
        for st in PayStatement.objects.all():
            if f.start.replace(day=1) <= st.month <= f.end:
                (pay if st.status == "approved" else drafts)[st.month] += st.total
        return [{"month": m, "collected": col[m], "expected": inv[m], "expenses": spent[m], "pay": pay[m], "balance": col[m] - spent[m] - pay[m],
                 "draft_pay": drafts[m]} for m in months_of(f)]
    if slug == "inventario-valor-y-consumo":
        cells = {}
        none = "Sin categoría"

        def cell(name):
            return cells.setdefault(name or none, {"category": name or none, "supplies": 0, "value": ZERO, "used": ZERO, "short": 0})

        for supply in Supply.objects.select_related("category"):
            if supply.active:
                c = cell(supply.category.name if supply.category else None)
                c["supplies"] += 1
                c["value"] += supply.stock * supply.cost_price
        used, short, category = defaultdict(lambda: ZERO), set(), {}
        for mv in StockMovement.objects.select_related("supply__category"):
            if mv.kind in ("consumption", "out") and in_range(mv.created_at, f):
                used[mv.supply_id] += -mv.quantity * mv.unit_cost
                category[mv.supply_id] = mv.supply.category.name if mv.supply.category else None
                if mv.kind == "consumption" and mv.shortfall > 0:
                    short.add(mv.supply_id)
        for supply_id, cost in used.items():  # each supply's cost to the cent, as the inventory's consumption list gives it
            c = cell(category[supply_id])
            c["used"] += cost.quantize(Decimal("0.01"))
            c["short"] += supply_id in short
        for c in cells.values():
            c["value"] = c["value"].quantize(Decimal("0.01"))
        return sorted(cells.values(), key=lambda r: (-r["used"], -r["value"], r["category"]))
    raise KeyError(slug)


def comparable(slug, rows):
    """Rows without private keys; by-name reports sorted by name (the report sorts by amount)."""
    clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    if slug in ("ingresos-por-servicio", "ingresos-por-profesional"):
        clean.sort(key=lambda r: r.get("service", r.get("practitioner")))
    return clean


def count_queries(fn) -> int:
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        fn()
    return len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=20000)
    parser.add_argument("--payments", type=int, default=15000)
    parser.add_argument("--movements", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-runs", type=int, default=3)
    args = parser.parse_args()
    keep_one_connection()
    ensure_platform()
    slug = f"bench-reports-{int(clock.time())}"
    failed = False
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ALLOWED_HOSTS=["*"]):
        clinic, _ = create_clinic(name="Bench reports", slug=slug, admin_email=f"admin@{slug}.example", time_zone="Europe/Madrid")
        try:
            with clinic_context(clinic):
                today = timezone.localdate(timezone=ZONE)
                started = clock.perf_counter()
                fill(appointments=args.appointments, payments=args.payments, today=today, movements=args.movements)
                add_staff_member(email="admin@bench.example", role=Role.CLINIC_ADMIN, password=PASSWORD)
                print(f"8 practitioners, {Appointment.objects.count()} appointments, {PatientPayment.objects.count()} payments, {Invoice.objects.count()} invoices"
                      f" and credit notes, {Refund.objects.count()} refunds, {Estimate.objects.count()} estimates over a year"
                      f", {Expense.objects.count()} expenses, {PayStatement.objects.count()} pay statements, {StockMovement.objects.count()} stock movements"
                      f" (filled in {clock.perf_counter() - started:.1f} s)")
                f = Filters(start=today - timedelta(days=364), end=today, zone=ZONE, currency="EUR")
                client = Client(HTTP_HOST=clinic.primary_host)
                assert client.post("/accounts/login/", {"login": "admin@bench.example", "password": PASSWORD}).status_code == 302
                query = {"desde": f.start.isoformat(), "hasta": f.end.isoformat()}
                for report_slug, cls in REGISTRY.items():
                    report = cls()
                    ours, theirs = comparable(report_slug, report.rows(f)), comparable(report_slug, baseline(report_slug, f))
                    same = ours == theirs
                    failed |= not same
                    fast = summary(timed(lambda: report.rows(f), args.runs), count_queries(lambda: report.rows(f)))
                    path = reverse("clinic_reports:report", args=[report_slug])
                    assert client.get(path, query).status_code == 200
                    page = summary(timed(lambda: client.get(path, query), args.runs))
                    slow = summary(timed(lambda: baseline(report_slug, f), args.baseline_runs))
                    print(f"  {report_slug:<32} {fast}\n  {'  its page':<32} {page}\n"
                          f"  {'  baseline, row by row in Python':<32} {slow}   same figures: {'yes' if same else 'NO'}")
                    if not same:
                        print(f"    report:   {ours[:3]}\n    baseline: {theirs[:3]}")
        finally:
            with public_context():
                Clinic.objects.get(pk=clinic.pk).delete(force_drop=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
