"""What the clinic spends, read for reports and notifications: plain functions, a few SQL
queries each, in the current clinic's schema. Amounts are in the clinic's currency.

- ``expenses_by_month`` counts an expense in the month of its **due date** (the month the
  cost belongs to, paid or not), with how much of it is paid; a bill paid late does not
  move to another month.
- ``pay_by_month`` counts **approved** pay statements only, in their statement month.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from .models import Expense, PayStatement
from .models.costs import add_months, clinic_today


@dataclass(frozen=True)
class ExpenseMonth:
    month: date  # first day
    total: Decimal
    paid: Decimal

    @property
    def unpaid(self) -> Decimal:
        return self.total - self.paid


@dataclass(frozen=True)
class PayMonth:
    month: date
    total: Decimal
    statements: int


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def expenses_due(within_days: int = 7, today: date | None = None) -> list[Expense]:
    """Unpaid expenses due from today to ``within_days`` days ahead (the clinic's today), soonest first."""
    today = today or clinic_today()
    return list(Expense.objects.unpaid().filter(due_date__gte=today, due_date__lte=today + timedelta(days=within_days))
                .select_related("category", "supplier").order_by("due_date", "pk"))


def overdue_expenses(today: date | None = None) -> list[Expense]:
    """Unpaid expenses due before today (the clinic's today), oldest first."""
    return list(Expense.objects.overdue(today).select_related("category", "supplier").order_by("due_date", "pk"))


def expenses_by_month(start: date, end: date) -> list[ExpenseMonth]:
    """Σ of expenses per month of their due date, every month from ``start``'s to ``end``'s
    (empty months as zero), with the paid part."""
    months = _months(start, end)
    if not months:
        return []
    rows = (Expense.objects.filter(due_date__gte=months[0], due_date__lt=add_months(months[-1], 1))
            .annotate(m=TruncMonth("due_date")).values("m")
            .annotate(total=Sum("amount"), paid=Sum("amount", filter=Q(paid_date__isnull=False))))
    found = {row["m"]: row for row in rows}
    return [ExpenseMonth(month=m, total=(found.get(m) or {}).get("total") or Decimal("0"), paid=(found.get(m) or {}).get("paid") or Decimal("0"))
            for m in months]


def pay_by_month(start: date, end: date) -> list[PayMonth]:
    """Σ of approved pay statements per month, every month from ``start``'s to ``end``'s."""
    months = _months(start, end)
    if not months:
        return []
    rows = (PayStatement.objects.filter(status=PayStatement.Status.APPROVED, month__gte=months[0], month__lte=months[-1])
            .values("month").annotate(total=Sum("total"), n=Count("pk")))
    found = {row["month"]: row for row in rows}
    return [PayMonth(month=m, total=(found.get(m) or {}).get("total") or Decimal("0"), statements=(found.get(m) or {}).get("n") or 0) for m in months]
