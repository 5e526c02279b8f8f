"""What a report is: a small declarative class, and the registry the pages list.

A report names its ``slug`` and ``title``, who may read it (``audience``), what it
measures (``definition``, shown on its page), its ``columns`` (the table, the CSV and
the chart read the same ones), its ``chart`` and ``rows(filters)``: a few SQL
aggregates returning one dict per table row. Register it with ``@register``; the
index, the page, the CSV and the PDF follow; ``totals(rows)`` adds a totals row. "Monthly
finance" and "inventory value and consumption" (clinic.reports.finance) are clinic-wide:
``per_practitioner = False`` hides the practitioner filter.

Who sees what (decided here, issue 12 item 3):

- Clinic admins (and superusers): every report, every practitioner, every column.
- Practitioners: every report whose audience names them, always restricted to their own
  numbers (the practitioner filter is forced to themselves); revenue included, their own.
  Money columns of a non-money report (the accepted value of plans, the revenue of top
  services) are dropped for them except in the revenue reports, which are their own money.
- Reception: occupancy and attendance (no-shows, late cancellations), for every
  practitioner: they run the agenda. No money, no patients' counts.
- Anyone else (patients, staff without a role): nothing.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from portal.money import format_money

ADMIN, PRACTITIONER, RECEPTION = "admin", "practitioner", "reception"

TEXT, MONEY, COUNT, PERCENT, MINUTES, MONTH, WEEK = "text", "money", "count", "percent", "minutes", "month", "week"


@dataclass(frozen=True)
class Column:
    """One column of a report: its key in each row, its heading, its kind (how it is
    written) and whether it is money (dropped for readers who may not see money)."""

    key: str
    label: str
    kind: str = COUNT

    @property
    def money(self) -> bool:
        return self.kind == MONEY

    def format(self, value, currency: str) -> str:
        """The value as a person reads it in the active language (the table, the chart)."""
        if value is None:
            return "—"
        if self.kind == MONEY:
            return format_money(value, currency)
        if self.kind == PERCENT:
            return f"{number_format(value, 1, use_l10n=True)}\u00a0%"
        if self.kind == MINUTES:
            return _("%(hours)s h") % {"hours": number_format(Decimal(value) / 60, 1, use_l10n=True)}
        if self.kind == COUNT:
            return number_format(value, 0, use_l10n=True, force_grouping=True)
        if self.kind == MONTH:
            return date_format(value, "M Y")
        if self.kind == WEEK:
            return date_format(value, "d/m/Y")
        return str(value)

    def csv(self, value) -> str:
        """The value for a spreadsheet: plain digits, a point for decimals, no symbol."""
        if value is None:
            return ""
        if self.kind == MONEY:
            return f"{Decimal(value):.2f}"
        if self.kind == PERCENT:
            return f"{Decimal(value):.1f}"
        if self.kind == MONTH:
            return f"{value:%Y-%m}"
        if self.kind == WEEK:
            return value.isoformat()
        return str(value)


@dataclass(frozen=True)
class Chart:
    """How a report is drawn (clinic.reports.charts): ``kind`` is "bars" (vertical, one
    group per row, one bar per series), "line" (one line per series) or "hbars"
    (horizontal, for a top-N); ``category`` is the column on the category axis,
    ``series`` the value columns, ``x_label``/``y_label`` the axis titles."""

    kind: str
    category: str
    series: tuple
    x_label: str
    y_label: str


@dataclass(frozen=True)
class Filters:
    """What a reader asked for: ``start``..``end`` (local dates, both included) and the
    practitioner (None: all). ``zone`` is the clinic's; ``currency`` its currency."""

    start: date
    end: date
    practitioner: object = None
    zone: object = None
    currency: str = "EUR"

    @property
    def practitioner_id(self):
        return self.practitioner.pk if self.practitioner is not None else None

    @property
    def zone_name(self) -> str:
        return str(self.zone.key)


class Report:
    """Subclass, set the attributes below and write ``rows``; see the module docstring."""

    slug = ""
    title = ""
    definition = ""
    audience = frozenset({ADMIN})
    money = False  # a revenue report: practitioners see their own money in it
    columns: tuple = ()
    chart: Chart | None = None
    per_practitioner = True  # the practitioner filter applies

    def rows(self, filters: Filters) -> list[dict]:
        raise NotImplementedError

    def totals(self, rows: list[dict]) -> dict | None:
        """The totals row under the table (and in the CSV and PDF): {column key: value},
        the first column reading "Total"; None (the default) for no totals row."""
        return None

    def definition_text(self) -> str:
        """What the report measures, for its page and its PDF."""
        return str(self.definition)

    def visible_columns(self, access) -> list[Column]:
        """The columns ``access`` may read: money columns only for clinic admins, and in a
        revenue report for the practitioner whose own numbers they are."""
        if access.role == ADMIN or self.money:
            return list(self.columns)
        return [c for c in self.columns if not c.money]

    def chart_for(self, columns) -> Chart | None:
        """The chart, without the series a reader may not see (None if none is left)."""
        if self.chart is None:
            return None
        keys = {c.key for c in columns}
        series = tuple(s for s in self.chart.series if s in keys)
        if not series:
            return None
        return Chart(self.chart.kind, self.chart.category, series, self.chart.x_label, self.chart.y_label)


REGISTRY: dict[str, type[Report]] = {}


def register(cls):
    """Class decorator: the report appears in the index, in this order."""
    if not cls.slug or cls.slug in REGISTRY:
        raise ValueError(f"report slug missing or taken: {cls.slug!r}")
    REGISTRY[cls.slug] = cls
    return cls


@dataclass(frozen=True)
class Access:
    """A reader's rights: ``role`` (ADMIN, PRACTITIONER, RECEPTION or None) and, for a
    practitioner, their own Practitioner row (their numbers only)."""

    role: str | None
    practitioner: object = None

    def may_read(self, report) -> bool:
        return self.role is not None and self.role in report.audience and (self.role != PRACTITIONER or self.practitioner is not None)


def access_for(user) -> Access:
    """The reader's role from their groups (clinic.roles.Role): the strongest wins."""
    from clinic.models import Practitioner
    from clinic.roles import Role

    if not user.is_authenticated or not user.is_active:
        return Access(None)
    if user.is_superuser:
        return Access(ADMIN)
    groups = set(user.groups.values_list("name", flat=True))
    if Role.CLINIC_ADMIN.value in groups:
        return Access(ADMIN)
    if Role.PRACTITIONER.value in groups:
        return Access(PRACTITIONER, Practitioner.objects.filter(user=user).select_related("user").first())
    if Role.RECEPTIONIST.value in groups:
        return Access(RECEPTION)
    return Access(None)


def readable_reports(access) -> list[type[Report]]:
    return [cls for cls in REGISTRY.values() if access.may_read(cls)]


def clinic_currency() -> str:
    return connection.tenant.currency
