"""A year of past activity for each demo clinic, so every staff report has something to show.

For every active practitioner, on each of their working days from a year ago to nine
days ago (seed_agenda's fortnight and seed_plans' visit come after that), about 60 % of their hours are
booked: mostly completed, some no-shows, some cancellations (late and early, by the
patient or the clinic, each with its cancellation's audit entry, as CancelAppointment
writes it). New patients arrive over the year; most visits are paid (card and cash at
the desk, some online), a few payments are partly refunded, and about six visits a
month are invoiced, with one credit note. About four treatment plans a month are
presented, half of them accepted.

Written in bulk, straight to the tables, like seed_agenda (no e-mails), but keeping
what the database enforces: a practitioner's appointments never overlap (existing ones
are avoided), amounts stay positive and refunds within their payment. Invoices go
through clinic.actions.invoices (IssueInvoice with its issue time set to the visit's
day, ``_backdated``), in date order and only in a clinic with no invoice yet, so
their numbers and chain are real and in issue order.

Idempotent: a clinic that already has this activity's patients gets nothing added.
Runs in a few seconds per clinic.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from portal.tenancy import clinic_context, clinic_zone

FIRST_NAMES = ("Alba", "Bruno", "Claudia", "Diego", "Eva", "Fernando", "Gloria", "Hugo", "Irene", "Jorge", "Laura", "Mario", "Nuria", "Óscar",
               "Pilar", "Raúl", "Sara", "Tomás", "Úrsula", "Víctor", "Ximena", "Yolanda", "Zoe", "Andrés", "Beatriz", "Carlos", "Daniela", "Emilio")
LAST_NAMES = ("Aguilar", "Blanco", "Cano", "Delgado", "Esteban", "Flores", "Guerrero", "Herrera", "Iglesias", "Jiménez", "León", "Marín", "Núñez",
              "Ortega", "Prieto", "Quintana", "Rubio", "Santos", "Torres", "Ureña", "Vargas", "Zamora")
DAYS, RECENT = 365, 9  # seed_plans books a done visit 8 days ago, before opening time
NEW_PATIENTS = 160
INVOICES_A_MONTH = 6


def seed_activity(clinic, *, now=None) -> int:
    """The year of activity in ``clinic``; returns how many appointments were added (0 if
    it was there already)."""
    with clinic_context(clinic):
        return _seed(clinic, now or timezone.now())


def _seed(clinic, now) -> int:
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
    from wagtail.models import ModelLogEntry

    from clinic.models import Appointment, Patient, PatientPayment, Practitioner, Refund

    from .demo_agenda import demo_patients

    domain = f"actividad.{clinic.slug}.example"
    if Patient.objects.filter(email__endswith=f"@{domain}").exists():
        return 0
    zone = clinic_zone()
    rng = random.Random(f"activity-{clinic.slug}")
    today = timezone.localdate(now, zone)
    first_day, last_day = today - timedelta(days=DAYS), today - timedelta(days=RECENT)
    S, By, M = Appointment.Status, Appointment.CancelledBy, PatientPayment.Method
    with transaction.atomic():
        regulars = demo_patients(clinic)
        arrivals = sorted(first_day + timedelta(days=rng.randrange(DAYS - RECENT)) for _ in range(NEW_PATIENTS))
        newcomers = Patient.objects.bulk_create(
            Patient(first_name=rng.choice(FIRST_NAMES), last_name=f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}", email=f"paciente{i}@{domain}",
                    phone=f"+34 6{rng.randrange(10**7, 10**8)}", created=datetime.combine(day, time(9), zone), privacy_consent_at=datetime.combine(day, time(9), zone))
            for i, day in enumerate(arrivals))
        window = (datetime.combine(first_day, time.min, zone), datetime.combine(last_day + timedelta(days=1), time.min, zone))
        taken = {}
        for practitioner_id, occupied in Appointment.objects.filter(start__range=window, status__in=Appointment.BLOCKING).values_list("practitioner_id", "occupied"):
            taken.setdefault(practitioner_id, []).append(occupied)
        practitioners = list(Practitioner.objects.active().select_related("user").prefetch_related("services", "working_hours"))
        rows = []
        day = first_day
        while day <= last_day:
            known = regulars + [p for p, arrived in zip(newcomers, arrivals) if arrived <= day]
            fresh = [p for p, arrived in zip(newcomers, arrivals) if day - timedelta(days=10) <= arrived <= day]
            for practitioner in practitioners:
                services = [s for s in practitioner.services.all() if s.active]
                for hours in sorted((h for h in practitioner.working_hours.all() if h.weekday == day.weekday()), key=lambda h: h.start):
                    at, until = datetime.combine(day, hours.start, zone), datetime.combine(day, hours.end, zone)
                    while services:
                        service = rng.choice(services)
                        end = at + timedelta(minutes=service.duration_minutes)
                        occupied = end + timedelta(minutes=service.buffer_minutes)
                        if occupied > until:
                            break
                        clash = any(r.lower < occupied and r.upper > at for r in taken.get(practitioner.pk, ()))
                        if not clash and rng.random() < 0.6:
                            patient = fresh.pop() if fresh and rng.random() < 0.5 else rng.choice(known)
                            rows.append(_visit(Appointment, S, By, rng, patient, practitioner, service, at, end, DateTimeTZRange(at, occupied, "[)")))
                        step = service.duration_minutes + service.buffer_minutes
                        at += timedelta(minutes=(step + 14) // 15 * 15)
            day += timedelta(days=1)
        made = Appointment.objects.bulk_create(rows, batch_size=2000)
        kind = ContentType.objects.get_for_model(Appointment)
        ModelLogEntry.objects.bulk_create((
            ModelLogEntry(content_type=kind, object_id=str(a.pk), action="clinic.appointment.cancel", label=str(a.pk), timestamp=a._cancelled_at,
                          data={"by": a.cancelled_by, "reason": a.cancel_reason, "before": S.CONFIRMED, "after": S.CANCELLED})
            for a in made if a.status == S.CANCELLED), batch_size=2000)
        payments = []
        for a in made:
            if a.status != S.COMPLETED or a.price <= 0 or rng.random() > 0.85:
                continue
            online = rng.random() < 0.2
            payments.append(PatientPayment(appointment=a, patient=a.patient, amount=a.price, currency=clinic.currency,
                                           method=M.ONLINE if online else rng.choice([M.CARD, M.CARD, M.CASH]),
                                           received_at=a.start - timedelta(days=rng.randrange(1, 6)) if online else a.end + timedelta(minutes=rng.randrange(2, 15))))
        payments = PatientPayment.objects.bulk_create(payments, batch_size=2000)
        refunds = []
        for payment in rng.sample([p for p in payments if p.method != M.ONLINE], min(12, len(payments))):
            amount = (payment.amount / 2).quantize(Decimal("0.01"))
            payment.refunded_amount = amount
            refunds.append(Refund(payment=payment, amount=amount, currency=payment.currency, status=Refund.Status.SUCCEEDED, reason="Descuento aplicado después",
                                  created=payment.received_at + timedelta(days=2), completed_at=payment.received_at + timedelta(days=2)))
        Refund.objects.bulk_create(refunds)
        PatientPayment.objects.bulk_update([r.payment for r in refunds], ["refunded_amount"])
        _plans(clinic, rng, regulars + newcomers, practitioners, first_day, last_day, zone)
    _invoices(made, zone, rng)
    return len(made)


def _plans(clinic, rng, patients, practitioners, first_day, last_day, zone) -> int:
    """About four treatment plans a month, each presented as a one-line estimate: about
    half accepted on paper a few days later (paid in full on acceptance), a fifth
    rejected, the rest still waiting or replaced by a second version."""
    from clinic.models import Estimate, EstimateInstalment, EstimateLine, PlanItem, TreatmentPlan

    E, P = Estimate.Status, TreatmentPlan.Status
    days = (last_day - first_day).days
    wanted = []
    for _ in range(days * 4 // 30):
        practitioner = rng.choice(practitioners)
        services = [s for s in practitioner.services.all() if s.active and s.price > 0]
        if services:
            presented = datetime.combine(first_day + timedelta(days=rng.randrange(days)), time(rng.randrange(9, 19)), zone)
            roll = rng.random()
            outcome = E.ACCEPTED if roll < 0.5 else E.REJECTED if roll < 0.7 else E.WITHDRAWN if roll < 0.8 else E.PRESENTED
            wanted.append((rng.choice(patients), practitioner, rng.choice(services), presented, outcome, rng.randrange(1, 4)))
    status = {E.ACCEPTED: P.ACCEPTED, E.REJECTED: P.REJECTED, E.WITHDRAWN: P.PRESENTED, E.PRESENTED: P.PRESENTED}
    plans = TreatmentPlan.objects.bulk_create(TreatmentPlan(patient=patient, practitioner=practitioner, title=service.name, status=status[outcome], created=presented)
                                              for patient, practitioner, service, presented, outcome, _ in wanted)
    items = PlanItem.objects.bulk_create(PlanItem(plan=plan, service=w[2], practitioner=w[1], quantity=w[5], unit_price=w[2].price)
                                         for plan, w in zip(plans, wanted))
    estimates, lines, instalments = [], [], []
    for plan, item, (patient, practitioner, service, presented, outcome, quantity) in zip(plans, items, wanted):
        total = service.price * quantity
        versions = [(1, E.WITHDRAWN, presented), (2, E.PRESENTED, presented + timedelta(days=7))] if outcome == E.WITHDRAWN else [(1, outcome, presented)]
        for version, state, at in versions:
            answered = at + timedelta(days=rng.randrange(1, 10))
            estimates.append(Estimate(plan=plan, version=version, status=state, presented_at=at, valid_until=(at + timedelta(days=30)).date(),
                                      currency=clinic.currency, gross=total, discount=0, base=total, tax=0, total=total,
                                      accepted_at=answered if state == E.ACCEPTED else None, accepted_via=Estimate.Via.PAPER if state == E.ACCEPTED else "",
                                      accepted_name=str(patient) if state == E.ACCEPTED else "", rejected_at=answered if state == E.REJECTED else None))
            lines.append(EstimateLine(item=item, description=service.name, phase=1, priority=item.priority, practitioner_name=practitioner.display_name,
                                      quantity=quantity, unit_price=service.price, discount_percent=0, amount=total, tax_rate=0, tax=0))
            instalments.append(EstimateInstalment(sequence=1, on_acceptance=True, amount=total))
    estimates = Estimate.objects.bulk_create(estimates)
    for estimate, line, instalment in zip(estimates, lines, instalments):
        line.estimate = instalment.estimate = estimate
    EstimateLine.objects.bulk_create(lines)
    EstimateInstalment.objects.bulk_create(instalments)
    return len(estimates)


def _visit(Appointment, S, By, rng, patient, practitioner, service, start, end, occupied):
    """One past appointment as the day left it (``_cancelled_at`` for its audit entry)."""
    row = Appointment(patient=patient, practitioner=practitioner, service=service, start=start, end=end, occupied=occupied, price=service.price,
                      created=start - timedelta(days=rng.randrange(2, 40)))
    roll = rng.random()
    if roll < 0.07:
        row.status = S.NO_SHOW
    elif roll < 0.17:
        late = roll < 0.11
        row.status, row.cancelled_by = S.CANCELLED, By.PATIENT if rng.random() < 0.7 else By.CLINIC
        row.cancel_reason = "Avisa el mismo día" if late else ("No puede venir" if row.cancelled_by == By.PATIENT else "Agenda de la profesional")
        row._cancelled_at = start - (timedelta(hours=rng.randrange(1, 20)) if late else timedelta(days=rng.randrange(2, 10)))
        row.created = min(row.created, row._cancelled_at - timedelta(hours=1))
    else:
        row.status, row.arrived_at, row.in_room_at, row.completed_at = S.COMPLETED, start - timedelta(minutes=5), start, end
    return row


def _invoices(made, zone, rng) -> int:
    """About six paid visits a month invoiced on their day, oldest first, and one credit
    note, through the invoicing actions; only in a clinic with no invoice yet."""
    from clinic.actions.invoices import IssueCreditNote, IssueInvoice, lines_for_appointment
    from clinic.models import Appointment, Invoice, InvoicingSettings

    if Invoice.objects.exists():
        return 0
    settings = InvoicingSettings.load()
    if not settings.complete:
        settings.legal_name = settings.legal_name or "Clínica Demo S.L."
        settings.tax_id = settings.tax_id or "B12345674"
        settings.address = settings.address or "Calle Mayor 1, 28013 Madrid"
        settings.save()
    by_month = {}
    for a in made:
        if a.status == Appointment.Status.COMPLETED and a.price > 0:
            by_month.setdefault(timezone.localtime(a.start, zone).strftime("%Y-%m"), []).append(a)
    chosen = sorted((a for visits in by_month.values() for a in rng.sample(visits, min(INVOICES_A_MONTH, len(visits)))), key=lambda a: a.end)
    BackdatedInvoice, BackdatedCreditNote = _backdated(IssueInvoice), _backdated(IssueCreditNote)
    issued = [BackdatedInvoice(a.patient, lines=lines_for_appointment(a), appointment=a, at=a.end + timedelta(minutes=20)).execute() for a in chosen]
    if len(issued) > 2:
        BackdatedCreditNote(issued[1], reason="Importe equivocado", at=max(issued[1].generated_at, issued[-1].generated_at) + timedelta(minutes=5)).execute()
    return len(issued)


def _backdated(base):
    """``base`` (IssueInvoice or IssueCreditNote) issued at ``at`` (a past visit's day)
    instead of now: everything else, the number, chain and audit entry, is the action's."""

    class Backdated(base):
        def __init__(self, *args, at, **kwargs):
            super().__init__(*args, **kwargs)
            self.at = at

        def issue_time(self):
            return timezone.localtime(self.at, clinic_zone()).replace(microsecond=0)

    Backdated.__name__ = Backdated.__qualname__ = f"Backdated{base.__name__}"
    return Backdated
