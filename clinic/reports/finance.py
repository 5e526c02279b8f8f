"""The clinic-wide reports on the clinic's own money (issue 12, item 3): the month's
finances, and the value and use of the stock. Clinic admins only: every column is
money, and they are the clinic's figures, not a practitioner's (the practitioner filter
does not apply, ``per_practitioner = False``; the page says so).

They read what other parts already define rather than define it again: collected and
invoiced are the revenue report's queries (``RevenueByMonth``), expenses and pay are
``clinic.costs``, the stock and its use are ``clinic.inventory.queries``.
"""

from dataclasses import replace
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from .base import ADMIN, COUNT, MONEY, MONTH, TEXT, Chart, Column, Report, register
from .definitions import ZERO, RevenueByMonth, bounds

CENT = Decimal("0.01")


@register
class MonthlyFinance(Report):
    """Per local month of the range, for the whole clinic:

    - collected: the revenue report's (payments received less refunds completed, each by
      its own local date), from its very query;
    - expected income: the revenue report's invoiced (invoices less credit notes, by
      date of issue): what the clinic billed and so expects to receive. Plan instalments
      not invoiced yet are left out: they become income when they are invoiced;
    - expenses: ``clinic.costs.expenses_by_month``, by due date, paid or not;
    - pay: ``clinic.costs.pay_by_month``, approved statements only. Statements of the
      month still in draft are shown apart ("pay in drafts") and not subtracted;
    - balance: collected − expenses − pay.

    Expenses and pay are whole months (``clinic.costs`` counts by month): a range that
    starts or ends mid-month counts that month's expenses and pay whole, while
    collected and invoiced keep to the range's days.

    Six queries; a totals row sums every column.
    """

    slug = "finanzas-mensuales"
    title = _("Monthly finance")
    definition = _(
        "Collected: payments received less refunds completed, as in “Revenue by month”. "
        "Expected income: what was invoiced in the month (invoices less credit notes, by date of issue); plan instalments not invoiced yet are not counted. "
        "Expenses: the expenses due in the month, paid or not. Pay: the approved pay statements of the month; "
        "statements still in draft are shown apart and not subtracted. Expenses and pay are those of each whole month the period touches. "
        "Balance: collected less expenses less pay. The whole clinic's figures: the practitioner filter does not apply."
    )
    audience = frozenset({ADMIN})
    per_practitioner = False
    columns = (Column("month", _("Month"), MONTH), Column("collected", _("Collected"), MONEY), Column("expected", _("Expected income"), MONEY),
               Column("expenses", _("Expenses"), MONEY), Column("pay", pgettext_lazy("report column", "Pay"), MONEY), Column("balance", _("Balance"), MONEY),
               Column("draft_pay", _("Pay in drafts (not counted)"), MONEY))
    chart = Chart("bars", "month", ("collected", "expenses", "pay", "balance"), _("Month"), _("Amount"))

    def rows(self, filters):
        from clinic.costs import expenses_by_month, pay_by_month
        from clinic.models import PayStatement

        clinic_wide = replace(filters, practitioner=None)
        revenue = RevenueByMonth().rows(clinic_wide)
        expenses = {e.month: e.total for e in expenses_by_month(filters.start, filters.end)}
        pay = {p.month: p.total for p in pay_by_month(filters.start, filters.end)}
        drafts = dict(PayStatement.objects.filter(status=PayStatement.Status.DRAFT, month__gte=filters.start.replace(day=1), month__lte=filters.end)
                      .values("month").annotate(total=Sum("total")).values_list("month", "total").order_by())
        rows = []
        for row in revenue:
            m = row["month"]
            spent, paid = Decimal(expenses.get(m, ZERO)).quantize(CENT), Decimal(pay.get(m, ZERO)).quantize(CENT)
            rows.append({"month": m, "collected": row["collected"], "expected": row["invoiced"], "expenses": spent, "pay": paid,
                         "balance": row["collected"] - spent - paid, "draft_pay": Decimal(drafts.get(m) or ZERO).quantize(CENT)})
        return rows

    def totals(self, rows):
        return {key: sum((r[key] for r in rows), ZERO) for key in ("collected", "expected", "expenses", "pay", "balance", "draft_pay")}


@register
class InventoryValueAndConsumption(Report):
    """Per supply category (supplies with none together, as "No category"):

    - supplies: active supplies in it now;
    - stock value now: Σ stock × cost price of its active supplies
      (``clinic.inventory.queries.value_by_category``), whatever the range;
    - used in the range: Σ of what was used (in visits and otherwise) × the unit cost
      each movement recorded (``consumption``), by the movement's instant in the range;
    - used beyond stock: how many of its supplies a visit needed more of than there was
      (a shortfall) in the range.

    Quantities are not summed per category: a category mixes boxes, millilitres and units.
    Largest use first, then largest value. Three queries; a totals row.
    """

    slug = "inventario-valor-y-consumo"
    title = _("Inventory value and consumption")
    definition = _(
        "Stock value: what is in stock now at its cost price (active supplies), whatever the period. "
        "Used: what was used in the period, in visits and otherwise, at the cost each movement recorded. "
        "Used beyond stock: supplies a visit needed more of than there was in stock. "
        "The whole clinic's figures: the practitioner filter does not apply."
    )
    audience = frozenset({ADMIN})
    per_practitioner = False
    columns = (Column("category", _("Category"), TEXT), Column("supplies", _("Supplies"), COUNT), Column("value", _("Stock value now"), MONEY),
               Column("used", _("Used in the period"), MONEY), Column("short", _("Used beyond stock"), COUNT))
    chart = Chart("hbars", "category", ("used",), _("Used in the period"), _("Category"))

    def rows(self, filters):
        from clinic.inventory.models import Supply
        from clinic.inventory.queries import consumption, value_by_category

        none = str(_("No category"))
        found = {}

        def cell(name):
            return found.setdefault(name if name is not None else none, {"category": name if name is not None else none, "supplies": 0, "value": ZERO,
                                                                         "used": ZERO, "short": 0})

        for row in value_by_category():
            cell(row["category"]).update(supplies=row["supplies"], value=row["value"])
        used = consumption(*bounds(filters))
        category_of = dict(Supply.objects.filter(pk__in=[u["supply"] for u in used]).values_list("pk", "category__name"))
        for row in used:
            target = cell(category_of.get(row["supply"]))
            target["used"] += row["cost"]
            target["short"] += 1 if row["short"] > 0 else 0
        return sorted(found.values(), key=lambda r: (-r["used"], -r["value"], r["category"]))

    def totals(self, rows):
        return {key: sum((r[key] for r in rows), ZERO if key in ("value", "used") else 0) for key in ("supplies", "value", "used", "short")}
