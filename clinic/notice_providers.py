"""The clinic's own kinds of notice (clinic.notices has the registry and the design).

Each provider is one query (or two), whatever the number of notices, and narrows to the
viewer's own things when the viewer is a practitioner only (``viewer.own_only``):

- tomorrow's appointments not confirmed by the patient (admins, reception; a
  practitioner their own);
- invoices with money outstanding 30 days after issue (admins, reception);
- a failed online payment in the last 7 days, not paid since (admins, reception);
- estimates waiting for the patient's answer (admins; a practitioner their own).

- expenses due in the next 7 days or overdue (clinic admins: costs are theirs).

Low stock registers from clinic.inventory's own ``ready()`` (clinic never imports it).
"""

from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.money import format_money
from portal.tenancy import clinic_zone

from .models import Appointment, Estimate, Expense, Invoice, PatientPayment, PaymentAttempt
from .notices import Notice, register_provider
from .roles import Role

OVERDUE_AFTER_DAYS = 30
FAILED_WITHIN_DAYS = 7
EXPENSES_WITHIN_DAYS = 7


def _date(value) -> str:
    return value.strftime("%d/%m/%Y")


def unconfirmed_tomorrow(viewer):
    """Appointments of tomorrow (the clinic's date) still to happen whose patient has not
    said they will come."""
    zone = clinic_zone()
    tomorrow = timezone.localdate(timezone=zone) + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, zone)
    due = Appointment.objects.filter(
        start__gte=start, start__lt=datetime.combine(tomorrow + timedelta(days=1), time.min, zone),
        status__in=[Appointment.Status.PENDING_PAYMENT, Appointment.Status.CONFIRMED], patient_confirmed_at__isnull=True,
    ).select_related("patient", "service", "practitioner__user")
    if viewer.own_only:
        due = due.filter(practitioner_id=viewer.practitioner_id or 0)
    for a in due.order_by("start"):
        local = timezone.localtime(a.start, zone)
        yield Notice(
            key=f"appointment-unconfirmed:{a.pk}",
            text=_("Tomorrow %(time)s · %(patient)s · %(service)s with %(practitioner)s: not confirmed by the patient")
            % {"time": f"{local:%H:%M}", "patient": a.patient, "service": a.service.name, "practitioner": a.practitioner.display_name},
            url=reverse("clinic_agenda:appointment", args=[a.pk]), at=a.start,
        )


def overdue_invoices(viewer):
    """Issued invoices with money outstanding more than 30 days after their issue date."""
    today = timezone.localdate(timezone=clinic_zone())
    overdue = (Invoice.objects.with_outstanding().filter(kind=Invoice.Kind.INVOICE, outstanding__gt=0,
                                                         issue_date__lt=today - timedelta(days=OVERDUE_AFTER_DAYS))
               .select_related("patient").order_by("issue_date", "pk"))
    zone = clinic_zone()
    for invoice in overdue:
        yield Notice(
            key=f"invoice-overdue:{invoice.pk}",
            text=_("Invoice %(number)s · %(patient)s: %(amount)s outstanding since %(date)s")
            % {"number": invoice.full_number, "patient": invoice.patient, "amount": format_money(invoice.outstanding, invoice.currency),
               "date": _date(invoice.issue_date)},
            url=reverse("clinic_invoice:detail", args=[invoice.pk]),
            at=datetime.combine(invoice.issue_date + timedelta(days=OVERDUE_AFTER_DAYS), time.min, zone),
        )


def failed_payments(viewer):
    """Per thing paid online (appointment, invoice, instalment): its latest attempt, when
    that failed in the last 7 days and nothing was paid toward the thing since."""
    since = timezone.now() - timedelta(days=FAILED_WITHIN_DAYS)
    failed_at = Coalesce("attempted_at", "created")
    paid_since = PatientPayment.objects.filter(
        Q(appointment_id=OuterRef("appointment_id")) | Q(invoice_id=OuterRef("invoice_id")) | Q(instalment_id=OuterRef("instalment_id")),
        received_at__gt=OuterRef("when"),
    )
    latest = (PaymentAttempt.objects.filter(created__gte=since).annotate(when=failed_at)
              .order_by("appointment_id", "invoice_id", "instalment_id", "-created", "-pk")
              .distinct("appointment_id", "invoice_id", "instalment_id")
              .annotate(paid_since=Exists(paid_since))
              .select_related("appointment__patient", "invoice__patient", "instalment__estimate__plan__patient"))
    for attempt in latest:
        if attempt.status != PaymentAttempt.Status.FAILED or attempt.paid_since or attempt.when < since:
            continue
        if attempt.appointment_id:
            patient, what = attempt.appointment.patient, _("appointment")
            url = reverse("clinic_agenda:appointment", args=[attempt.appointment_id])
        elif attempt.invoice_id:
            patient, what = attempt.invoice.patient, _("invoice %(number)s") % {"number": attempt.invoice.full_number}
            url = reverse("clinic_invoice:detail", args=[attempt.invoice_id])
        else:
            estimate = attempt.instalment.estimate
            patient, what = estimate.plan.patient, _("estimate %(number)s") % {"number": estimate.number}
            url = reverse("clinic_records:plan", args=[estimate.plan_id])
        local = timezone.localtime(attempt.when, clinic_zone())
        yield Notice(
            key=f"payment-failed:{attempt.pk}",
            text=_("%(patient)s's online payment of %(amount)s (%(what)s) failed on %(date)s at %(time)s")
            % {"patient": patient, "amount": format_money(attempt.amount, attempt.currency), "what": what, "date": _date(local),
               "time": f"{local:%H:%M}"},
            url=url, at=attempt.when,
        )


def waiting_estimates(viewer):
    """Estimates presented and still open (not answered, not expired)."""
    today = timezone.localdate(timezone=clinic_zone())
    waiting = (Estimate.objects.filter(status=Estimate.Status.PRESENTED, valid_until__gte=today)
               .select_related("plan__patient").order_by("presented_at"))
    if viewer.own_only:
        waiting = waiting.filter(Q(plan__practitioner_id=viewer.practitioner_id or 0) | Q(plan__practitioner__isnull=True, presented_by=viewer.user))
    for estimate in waiting:
        yield Notice(
            key=f"estimate-waiting:{estimate.pk}",
            text=_("Estimate %(number)s · %(patient)s: waiting for the patient since %(date)s (valid until %(until)s)")
            % {"number": estimate.number, "patient": estimate.plan.patient, "date": _date(timezone.localtime(estimate.presented_at, clinic_zone())),
               "until": _date(estimate.valid_until)},
            url=reverse("clinic_records:plan", args=[estimate.plan_id]), at=estimate.presented_at,
        )


def expenses(viewer):
    """Unpaid expenses overdue (due before the clinic's today) or due within 7 days, in one
    query (clinic.costs.overdue_expenses and expenses_due, together). The key
    carries the state, so an expense read while due comes back unread once it is overdue."""
    zone = clinic_zone()
    today = timezone.localdate(timezone=zone)
    now = timezone.now()
    unpaid = Expense.objects.unpaid().filter(due_date__lte=today + timedelta(days=EXPENSES_WITHIN_DAYS)).select_related("supplier")
    for expense in unpaid.order_by("due_date", "pk"):
        overdue = expense.due_date < today
        values = {"what": expense.description, "supplier": expense.supplier or "—", "amount": format_money(expense.amount, connection.tenant.currency), "date": _date(expense.due_date)}
        yield Notice(
            key=f"expense-{'overdue' if overdue else 'due'}:{expense.pk}",
            text=(_("Overdue since %(date)s · %(what)s (%(supplier)s): %(amount)s") if overdue
                  else _("Due on %(date)s · %(what)s (%(supplier)s): %(amount)s")) % values,
            url=reverse("clinic_expense:edit", args=[expense.pk]),
            # Overdue: since its due date; due soon: now (a future time would read as if it had happened).
            at=datetime.combine(expense.due_date, time.min, zone) if overdue else now,
        )


register_provider("appointment-unconfirmed", label=gettext_lazy("Tomorrow's appointments not confirmed"),
                  roles={Role.RECEPTIONIST, Role.PRACTITIONER}, collect=unconfirmed_tomorrow, order=10)
register_provider("invoice-overdue", label=gettext_lazy("Overdue balances"), roles={Role.RECEPTIONIST}, collect=overdue_invoices, order=20)
register_provider("payment-failed", label=gettext_lazy("Failed online payments"), roles={Role.RECEPTIONIST}, collect=failed_payments, order=30)
register_provider("estimate-waiting", label=gettext_lazy("Estimates waiting for the patient"), roles={Role.PRACTITIONER},
                  collect=waiting_estimates, order=40)
register_provider("expenses", label=gettext_lazy("Expenses due or overdue"), roles={Role.CLINIC_ADMIN}, collect=expenses, order=60)
