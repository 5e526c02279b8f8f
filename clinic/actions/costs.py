"""Costs actions: expenses recorded and paid, recurring expenses written once per period,
pay agreements, and the monthly pay statements a clinic admin approves.

What a completed session earned (the base of a practitioner's percentage): the
appointment's price (booked from an accepted treatment plan, that is the plan's price,
clinic.actions.plans.BookPlanItems) less what was refunded on payments made against
that appointment, never below zero. The month's sessions are the practitioner's
appointments with status "completed" whose start falls in the month in the clinic's
time zone; cancelled appointments and no-shows earn nothing.
"""

from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.money import format_money
from portal.tenancy import clinic_zone

from ..models import Appointment, Expense, PatientPayment, PayAgreement, PayStatement, PayStatementLine, Practitioner, RecurringExpense
from ..models.costs import MAX_AMOUNT, add_months, clinic_today
from .base import ActionError, ClinicAction, when

CENT = Decimal("0.01")


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def check_amount(value, *, allow_zero=False) -> Decimal:
    """A typed amount, or ActionError (translated): finite, positive (or zero), at most MAX_AMOUNT."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ActionError(_("Enter an amount greater than zero.")) from None
    if not amount.is_finite() or amount > MAX_AMOUNT or amount < 0 or (amount == 0 and not allow_zero):
        raise ActionError(_("Enter an amount greater than zero.") if not allow_zero else _("Enter an amount of zero or more."))
    return cents(amount)


class SaveCostRecord(ClinicAction):
    """A category, expense, recurring expense or pay agreement typed by staff, added or
    changed (``clinic.add_<model>`` / ``clinic.change_<model>``). Side effects: the row, an audit entry."""

    log_action = "clinic.costs.save"

    def __init__(self, instance, *, actor=None):
        super().__init__(actor=actor)
        self.instance, self.adding = instance, instance.pk is None
        self.permission = f"clinic.{'add' if self.adding else 'change'}_{instance._meta.model_name}"

    def validate(self, instance) -> None:
        """Rules a form may not have checked (the action is the last word)."""

    def perform(self):
        instance = self.instance
        self.validate(instance)
        instance.save()
        return instance

    def log_data(self, instance):
        return {"added": self.adding, "what": str(instance)}


class SaveExpense(SaveCostRecord):
    def validate(self, expense):
        expense.amount = check_amount(expense.amount)
        if self.adding:
            expense.recorded_by = self.log_user
        if expense.paid_date is None:
            expense.paid_by = None  # back to unpaid: nobody paid it
        else:
            if expense.paid_date > clinic_today():
                raise ActionError(_("The payment date cannot be in the future."))
            if expense.paid_by_id is None:
                expense.paid_by = self.log_user

    def log_data(self, expense):
        return {**super().log_data(expense), "amount": str(expense.amount), "due": expense.due_date.isoformat(),
                "paid": expense.paid_date.isoformat() if expense.paid_date else ""}


class SaveRecurringExpense(SaveCostRecord):
    def validate(self, recurring):
        recurring.amount = check_amount(recurring.amount)
        if recurring.frequency not in RecurringExpense.Frequency.values:
            raise ActionError(_("Choose how often it is due."))
        if not 1 <= int(recurring.due_day or 0) <= 31:
            raise ActionError(_("The due day is a day of the month, 1 to 31."))
        if recurring.ends_on is not None and recurring.ends_on < recurring.starts_on:
            raise ActionError(_("It cannot end before it starts."))
        if self.adding:
            recurring.created_by = self.log_user


class SavePayAgreement(SaveCostRecord):
    def validate(self, agreement):
        agreement.fixed_amount = check_amount(agreement.fixed_amount or 0, allow_zero=True)
        try:
            percentage = Decimal(agreement.percentage or 0)
        except (InvalidOperation, TypeError, ValueError):
            percentage = Decimal("-1")
        if not percentage.is_finite() or not 0 <= percentage <= 100:
            raise ActionError(_("The percentage is between 0 and 100."))
        agreement.percentage = percentage.quantize(CENT, ROUND_HALF_UP)
        if agreement.effective_from is None or agreement.effective_from.day != 1:
            raise ActionError(_("An agreement starts on the first day of a month."))
        model, fixed, pct = agreement.model, agreement.fixed_amount, agreement.percentage
        if model == PayAgreement.Model.FIXED and not (fixed > 0 and pct == 0):
            raise ActionError(_("A fixed agreement has a monthly amount and no percentage."))
        if model == PayAgreement.Model.PERCENTAGE and not (fixed == 0 and pct > 0):
            raise ActionError(_("A percentage agreement has a percentage and no fixed amount."))
        if model == PayAgreement.Model.BOTH and not (fixed > 0 and pct > 0):
            raise ActionError(_("A fixed-plus-percentage agreement has both a monthly amount and a percentage."))
        if model not in PayAgreement.Model.values:
            raise ActionError(_("Choose how the practitioner is paid."))
        taken = PayAgreement.objects.filter(practitioner_id=agreement.practitioner_id, effective_from=agreement.effective_from).exclude(pk=agreement.pk)
        if taken.exists():
            raise ActionError(_("This practitioner already has an agreement from that month: change that one."))
        if self.adding:
            agreement.created_by = self.log_user


class MarkExpensePaid(ClinicAction):
    """Record that an expense was paid on ``paid_date`` (today in the clinic's zone unless
    given), by whom. Refused when it is already paid or the date is in the future.
    Side effects: the expense's paid date and payer, an audit entry."""

    permission = "clinic.change_expense"
    log_action = "clinic.expense.paid"

    def __init__(self, expense: Expense, *, paid_date: date | None = None, actor=None):
        super().__init__(actor=actor)
        self.expense, self.paid_date = expense, paid_date

    def perform(self):
        expense = Expense.objects.select_for_update().get(pk=self.expense.pk)  # two clicks at once: one payment date
        if expense.paid_date is not None:
            raise ActionError(_("This expense was already paid on %(day)s.") % {"day": expense.paid_date.strftime("%d/%m/%Y")})
        today = clinic_today()
        paid_date = self.paid_date or today
        if paid_date > today:
            raise ActionError(_("The payment date cannot be in the future."))
        expense.paid_date, expense.paid_by = paid_date, self.log_user
        expense.save(update_fields=["paid_date", "paid_by"])
        return expense

    def log_data(self, expense):
        return {"what": str(expense), "amount": str(expense.amount), "paid": expense.paid_date.isoformat()}


class GenerateRecurringExpense(ClinicAction):
    """Write the expenses of every period of ``recurring`` that has begun by ``today`` (the
    clinic's today unless given) and was not written yet: a job that missed days catches
    up every period missed. Once per period whoever runs it: the recurring row is locked,
    and the INSERT goes through UNIQUE (recurring, period) with ON CONFLICT DO NOTHING.
    Side effects: Expense rows (recorded by nobody: the system), ``generated_through``, an
    audit entry naming the periods written (none when there were none)."""

    permission = "clinic.add_expense"
    log_action = "clinic.expense.recurring"

    def __init__(self, recurring: RecurringExpense, *, today: date | None = None, actor=None):
        super().__init__(actor=actor)
        self.recurring, self.today, self.written = recurring, today, []

    def execute(self):
        self.check()
        with transaction.atomic():
            recurring = self.perform()
            if self.written:
                self.write_log(recurring)
        return self.written

    def perform(self):
        recurring = RecurringExpense.objects.select_for_update().get(pk=self.recurring.pk)
        if not recurring.active:
            return recurring
        periods = recurring.periods(after=recurring.generated_through, until=self.today or clinic_today())
        if not periods:
            return recurring
        rows = [(recurring.category_id, recurring.supplier_id, recurring.description, recurring.amount, recurring.due_date(p), recurring.pk, p)
                for p in periods]
        with connection.cursor() as cursor:
            values = ", ".join(["(%s, %s, %s, '', %s, %s, NULL, NULL, NULL, %s, %s, now())"] * len(rows))
            cursor.execute(
                "INSERT INTO clinic_expense (category_id, supplier_id, description, reference, amount, due_date, paid_date, paid_by_id,"
                " recorded_by_id, recurring_id, period, created) VALUES " + values
                + " ON CONFLICT (recurring_id, period) DO NOTHING RETURNING period",
                [value for row in rows for value in row],
            )
            self.written = sorted(row[0] for row in cursor.fetchall())
        RecurringExpense.objects.filter(pk=recurring.pk).update(generated_through=periods[-1])
        return recurring

    def log_data(self, recurring):
        return {"what": str(recurring), "periods": [p.isoformat() for p in self.written], "amount": str(recurring.amount)}


def generate_recurring_expenses(today: date | None = None) -> int:
    """Daily job (in each clinic's schema, through clinic.tasks.in_every_clinic): every
    active recurring expense's missing periods, one transaction each. Returns how many
    expenses were written."""
    written = 0
    for recurring in RecurringExpense.objects.filter(active=True).only("pk"):
        written += len(GenerateRecurringExpense(recurring, today=today).execute())
    return written


# -- pay -----------------------------------------------------------------------------------

def parse_month(value: str | None) -> date | None:
    """``YYYY-MM`` typed by a visitor: the month's first day, None when empty, or
    ActionError (translated) when malformed or absurd."""
    if not value:
        return None
    text = str(value).strip()
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        year, month = int(text[:4]), int(text[5:])
        if 2000 <= year <= 2200 and 1 <= month <= 12:
            return date(year, month, 1)
    raise ActionError(_("Give the month as YYYY-MM."))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the clinic's zone."""
    zone = clinic_zone()
    return datetime.combine(month, time(), zone), datetime.combine(add_months(month, 1), time(), zone)


def earned_sessions(practitioner_id: int, month: date) -> list[dict]:
    """The practitioner's completed appointments that started in ``month`` (clinic zone),
    each with its price, what was refunded on payments against it, and what it earned."""
    start, end = month_bounds(month)
    appointments = list(Appointment.objects.filter(practitioner_id=practitioner_id, status=Appointment.Status.COMPLETED, start__gte=start,
                                                   start__lt=end).order_by("start").values("pk", "price"))
    refunded = dict(PatientPayment.objects.filter(appointment_id__in=[a["pk"] for a in appointments]).values("appointment_id")
                    .annotate(total=Sum("refunded_amount")).values_list("appointment_id", "total"))
    out = []
    for row in appointments:
        back = refunded.get(row["pk"]) or Decimal("0")
        out.append({"appointment_id": row["pk"], "price": row["price"], "refunded": back, "earned": max(row["price"] - back, Decimal("0"))})
    return out


def compute_statement(statement: PayStatement, agreement: PayAgreement) -> list[PayStatementLine]:
    """Fill ``statement``'s amounts from ``agreement`` and the month's sessions; return its lines (unsaved)."""
    pct = agreement.percentage if agreement.model != PayAgreement.Model.FIXED else Decimal("0")
    lines = [PayStatementLine(appointment_id=s["appointment_id"], price=s["price"], refunded=s["refunded"], earned=s["earned"],
                              commission=cents(s["earned"] * pct / 100)) for s in earned_sessions(statement.practitioner_id, statement.month)]
    statement.agreement, statement.model, statement.percentage = agreement, agreement.model, pct
    statement.fixed_part = agreement.fixed_amount if agreement.model != PayAgreement.Model.PERCENTAGE else Decimal("0")
    statement.sessions = len(lines)
    statement.earnings_base = sum((line.earned for line in lines), Decimal("0"))
    statement.commission = sum((line.commission for line in lines), Decimal("0"))
    statement.total = statement.fixed_part + statement.commission
    statement.generated_at = timezone.now()
    return lines


def refresh_draft(statement: PayStatement) -> PayStatement | None:
    """Recompute a locked draft in place (its lines replaced); None when no agreement is in force."""
    agreement = PayAgreement.in_force(statement.practitioner_id, statement.month)
    if agreement is None:
        return None
    lines = compute_statement(statement, agreement)
    statement.lines.all().delete()
    statement.save()
    for line in lines:
        line.statement = statement
    PayStatementLine.objects.bulk_create(lines)
    return statement


class GeneratePayStatements(ClinicAction):
    """Create or refresh the month's draft statement of every practitioner with a pay
    agreement in force (active practitioners, and inactive ones who completed sessions
    that month). Approved statements are never touched. Months that have not begun are
    refused. Safe twice at once: the statement row is inserted with ON CONFLICT DO NOTHING
    through UNIQUE (practitioner, month), then locked before it is recomputed.
    Side effects: PayStatement and PayStatementLine rows, one audit entry per draft."""

    permission = "clinic.add_paystatement"
    log_action = "clinic.pay.generate"

    def __init__(self, *, month: date, actor=None):
        super().__init__(actor=actor)
        self.month = month

    def perform(self):
        month = self.month
        if month.day != 1 or month > clinic_today().replace(day=1):
            raise ActionError(_("Pay statements are computed for months that have begun."))
        start, end = month_bounds(month)
        worked = Appointment.objects.filter(status=Appointment.Status.COMPLETED, start__gte=start, start__lt=end).values("practitioner_id")
        practitioners = Practitioner.objects.filter(Q(active=True) | Q(pk__in=worked), pay_agreements__effective_from__lte=month).distinct()
        ids = sorted(practitioners.values_list("pk", flat=True))
        if not ids:
            raise ActionError(_("No practitioner has a pay agreement for that month."))
        PayStatement.objects.bulk_create([PayStatement(practitioner_id=pk, month=month, model=PayAgreement.Model.FIXED) for pk in ids],
                                         ignore_conflicts=True)
        drafts = []
        for statement in PayStatement.objects.select_for_update().filter(practitioner_id__in=ids, month=month).order_by("practitioner_id"):
            if statement.is_approved:
                continue
            if refresh_draft(statement) is not None:
                drafts.append(statement)
        return drafts

    def write_log(self, instance, action=None, data=None):
        for statement in instance:
            super().write_log(statement, data=self.log_data(statement))

    def log_data(self, statement):
        return {"month": statement.month.strftime("%Y-%m"), "sessions": statement.sessions, "total": str(statement.total)}


class ApprovePayStatement(ClinicAction):
    """A clinic admin approves a practitioner's statement of a month that has ended: it is
    recomputed first (the sessions as they are now) and, when ``expected_total`` is given
    (what the admin was shown), refused if that moved. Approved, the database freezes it.
    Side effects: the statement's status, approver and time; an audit entry."""

    permission = "clinic.approve_paystatement"
    log_action = "clinic.pay.approve"

    def __init__(self, statement: PayStatement, *, expected_total: Decimal | None = None, actor=None):
        super().__init__(actor=actor)
        self.statement, self.expected_total = statement, expected_total

    def perform(self):
        statement = PayStatement.objects.select_for_update().get(pk=self.statement.pk)
        if statement.is_approved:
            raise ActionError(_("This statement is already approved."))
        if add_months(statement.month, 1) > clinic_today():
            raise ActionError(_("A month's statement is approved once the month has ended."))
        if refresh_draft(statement) is None:
            raise ActionError(_("No practitioner has a pay agreement for that month."))
        if self.expected_total is not None and statement.total != self.expected_total:
            raise ActionError(_("The statement changed since you opened it (now %(total)s): check it and approve again.")
                              % {"total": format_money(statement.total, connection.tenant.currency)})
        statement.status, statement.approved_by, statement.approved_at = PayStatement.Status.APPROVED, self.log_user, timezone.now()
        statement.save(update_fields=["status", "approved_by", "approved_at"])
        return statement

    def log_data(self, statement):
        return {"month": statement.month.strftime("%Y-%m"), "total": str(statement.total), "approved_at": when(statement.approved_at)}
