"""The reports themselves: what each measures (its docstring, and ``definition`` on its
page) and the few SQL aggregates that compute it.

Everything is grouped by the clinic's local day, ISO week or month
(``portal.tenancy.clinic_zone()``): a payment at 00:30 on 1 February in Madrid is
February's, even though it is still 31 January in UTC. The range ``start``..``end``
is of local dates, both included. Money is in the clinic's currency.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import CharField, Count, DateField, DecimalField, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncMonth, TruncWeek
from django.utils.translation import gettext, gettext_lazy as _, pgettext_lazy

from .base import ADMIN, MINUTES, MONEY, MONTH, PERCENT, PRACTITIONER, RECEPTION, TEXT, WEEK, Chart, Column, Report, register

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


# -- shared pieces ------------------------------------------------------------------------


def bounds(filters) -> tuple[datetime, datetime]:
    """The range as instants: local midnight of ``start`` to local midnight after ``end``."""
    return (datetime.combine(filters.start, time.min, filters.zone), datetime.combine(filters.end + timedelta(days=1), time.min, filters.zone))


def months(filters) -> list:
    """The first day of every month the range touches, so empty months show as 0."""
    first, out = filters.start.replace(day=1), []
    while first <= filters.end:
        out.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return out


def weeks(filters) -> list:
    """The Monday of every ISO week the range touches."""
    monday, out = filters.start - timedelta(days=filters.start.weekday()), []
    while monday <= filters.end:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def month_of(field, filters):
    return TruncMonth(field, tzinfo=filters.zone, output_field=DateField())


def percent(part, whole) -> Decimal | None:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")) if whole else None


# Who an invoice's or a payment's money belongs to: its appointment's practitioner, else
# the practitioner in charge of the plan whose instalment it pays (credit notes carry the
# appointment of the invoice they correct; payments may name only their invoice).
INVOICE_PRACTITIONER = ("appointment__practitioner_id", "instalment__estimate__plan__practitioner_id",
                        "corrects__instalment__estimate__plan__practitioner_id")
PAYMENT_PRACTITIONER = ("appointment__practitioner_id", "invoice__appointment__practitioner_id", "instalment__estimate__plan__practitioner_id",
                        "invoice__instalment__estimate__plan__practitioner_id")
PAYMENT_SERVICE = ("appointment__service_id", "invoice__appointment__service_id")


def _coalesce(paths, prefix=""):
    fields = [f"{prefix}{p}" for p in paths]
    return Coalesce(*fields) if len(fields) > 1 else F(fields[0])


def _invoices(filters):
    from clinic.models import Invoice

    rows = Invoice.objects.filter(issue_date__range=(filters.start, filters.end))
    if filters.practitioner_id:
        rows = rows.alias(who=_coalesce(INVOICE_PRACTITIONER)).filter(who=filters.practitioner_id)
    return rows


def _payments(filters):
    from clinic.models import PatientPayment

    start, end = bounds(filters)
    rows = PatientPayment.objects.filter(received_at__gte=start, received_at__lt=end)
    if filters.practitioner_id:
        rows = rows.alias(who=_coalesce(PAYMENT_PRACTITIONER)).filter(who=filters.practitioner_id)
    return rows


def _refunds(filters):
    from clinic.models import Refund

    start, end = bounds(filters)
    rows = Refund.objects.filter(status=Refund.Status.SUCCEEDED).alias(done=Coalesce("completed_at", "created")).filter(done__gte=start, done__lt=end)
    if filters.practitioner_id:
        rows = rows.alias(who=_coalesce(PAYMENT_PRACTITIONER, "payment__")).filter(who=filters.practitioner_id)
    return rows


def _sums(queryset, group, amount) -> dict:
    """{group value: sum of amount} in one query."""
    return {row["group"]: row["total"] or ZERO for row in queryset.annotate(group=group).values("group").annotate(total=Sum(amount, output_field=MONEY_FIELD)).order_by()}


def collected(filters, group_payment, group_refund) -> dict:
    """{group: payments received − refunds completed}, each by its own date in the range."""
    paid = _sums(_payments(filters), group_payment, F("amount"))
    refunded = _sums(_refunds(filters), group_refund, F("amount"))
    return {key: paid.get(key, ZERO) - refunded.get(key, ZERO) for key in paid.keys() | refunded.keys()}


def practitioner_names() -> dict:
    from clinic.models import Practitioner

    return {p.pk: p.display_name for p in Practitioner.objects.select_related("user")}


def service_names() -> dict:
    from clinic.models import Service

    return dict(Service.objects.values_list("pk", "name"))


# -- revenue ------------------------------------------------------------------------------

REVENUE_DEFINITION = _(
    "Invoiced: the totals of the invoices issued in the period, less the credit notes issued in it, by date of issue. "
    "Collected: the payments received in the period (card, cash, transfer, financing, online), less the refunds completed in it, "
    "each by its own date in the clinic's time zone. A practitioner's money is that of their appointments, "
    "and of the instalments of the plans they are in charge of."
)
INVOICED, COLLECTED = Column("invoiced", _("Invoiced"), MONEY), Column("collected", _("Collected"), MONEY)


@register
class RevenueByMonth(Report):
    """Invoiced and collected per local month of the range (see ``REVENUE_DEFINITION``);
    every month of the range has a row, 0 when nothing happened. Three queries."""

    slug = "ingresos-por-mes"
    title = _("Revenue by month")
    definition = REVENUE_DEFINITION
    audience = frozenset({ADMIN, PRACTITIONER})
    money = True
    columns = (Column("month", _("Month"), MONTH), INVOICED, COLLECTED)
    chart = Chart("bars", "month", ("invoiced", "collected"), _("Month"), _("Amount"))

    def rows(self, filters):
        invoiced = _sums(_invoices(filters), TruncMonth("issue_date", output_field=DateField()), F("total"))
        money_in = collected(filters, month_of("received_at", filters), month_of(Coalesce("completed_at", "created"), filters))
        return [{"month": m, "invoiced": invoiced.get(m, ZERO), "collected": money_in.get(m, ZERO)} for m in months(filters)]


@register
class RevenueByService(Report):
    """Invoiced per service of the invoice lines (base + VAT of each line, credit notes'
    lines negative) and collected per service of the appointment a payment is for
    (directly or through its invoice); money with no service (a plan's instalment, a line
    typed by hand) is its own row. Largest invoiced first. Three queries."""

    slug = "ingresos-por-servicio"
    title = _("Revenue by service")
    definition = _("Invoiced: the lines of the invoices and credit notes issued in the period, by their service. "
                   "Collected: payments less refunds, by the service of the appointment they pay (directly or through its invoice).")
    audience = frozenset({ADMIN, PRACTITIONER})
    money = True
    columns = (Column("service", _("Service"), TEXT), INVOICED, COLLECTED)
    chart = Chart("bars", "service", ("invoiced", "collected"), _("Service"), _("Amount"))

    def rows(self, filters):
        from clinic.models import InvoiceLine

        lines = InvoiceLine.objects.filter(invoice__in=_invoices(filters))
        invoiced = _sums(lines, F("service_id"), F("base") + F("tax"))
        money_in = collected(filters, _coalesce(PAYMENT_SERVICE), _coalesce(PAYMENT_SERVICE, "payment__"))
        return _named_rows("service", invoiced, money_in, service_names(), gettext("No service"))


@register
class RevenueByPractitioner(Report):
    """Invoiced and collected per practitioner (``INVOICE_PRACTITIONER``,
    ``PAYMENT_PRACTITIONER``); money no practitioner can be found for is its own row."""

    slug = "ingresos-por-profesional"
    title = _("Revenue by practitioner")
    definition = REVENUE_DEFINITION
    audience = frozenset({ADMIN, PRACTITIONER})
    money = True
    columns = (Column("practitioner", _("Practitioner"), TEXT), INVOICED, COLLECTED)
    chart = Chart("bars", "practitioner", ("invoiced", "collected"), _("Practitioner"), _("Amount"))

    def rows(self, filters):
        invoiced = _sums(_invoices(filters), _coalesce(INVOICE_PRACTITIONER), F("total"))
        money_in = collected(filters, _coalesce(PAYMENT_PRACTITIONER), _coalesce(PAYMENT_PRACTITIONER, "payment__"))
        return _named_rows("practitioner", invoiced, money_in, practitioner_names(), gettext("No practitioner"))


def _named_rows(key, invoiced, money_in, names, nobody) -> list[dict]:
    ids = [i for i in invoiced.keys() | money_in.keys() if invoiced.get(i) or money_in.get(i)]
    rows = [{key: names.get(i, nobody) if i is not None else nobody, "invoiced": invoiced.get(i, ZERO), "collected": money_in.get(i, ZERO), "_id": i}
            for i in ids]
    return sorted(rows, key=lambda r: (r["_id"] is None, -r["invoiced"], -r["collected"], r[key]))


# -- occupancy ----------------------------------------------------------------------------

OCCUPANCY_DEFINITION = _(
    "Booked time: the minutes of the appointments that hold a time (every status but cancelled; buffers not counted), by the local day they start. "
    "Available time: the practitioner's working hours as set now, on every day of the period, less their time off and the clinic's holidays. "
    "Occupancy: booked over available."
)

OCCUPANCY_SQL = """
WITH days AS (
    SELECT d::date AS day FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d
), stretches AS (
    SELECT wh.practitioner_id, days.day,
           tstzrange((days.day + wh.start) AT TIME ZONE %(zone)s, (days.day + wh."end") AT TIME ZONE %(zone)s, '[)') AS span
    FROM days JOIN {hours} AS wh ON wh.weekday = EXTRACT(ISODOW FROM days.day)::int - 1
    WHERE %(practitioner)s::bigint IS NULL OR wh.practitioner_id = %(practitioner)s::bigint
), free AS (
    SELECT s.practitioner_id, s.day,
           tstzmultirange(s.span) - COALESCE((
               SELECT range_agg(tstzrange(t.start, t."end", '[)')) FROM {time_off} AS t
               WHERE (t.practitioner_id = s.practitioner_id OR t.practitioner_id IS NULL) AND t.start < upper(s.span) AND t."end" > lower(s.span)
           ), '{{}}'::tstzmultirange) AS spans
    FROM stretches AS s
)
SELECT free.practitioner_id, date_trunc('week', free.day)::date AS week,
       SUM((SELECT COALESCE(SUM(EXTRACT(EPOCH FROM upper(r) - lower(r))), 0) FROM unnest(free.spans) AS r)) / 60 AS minutes
FROM free GROUP BY 1, 2
"""


def occupancy_cells(filters) -> dict:
    """{(practitioner id, Monday): [booked minutes, available minutes]}: two queries."""
    from clinic.models import Appointment, TimeOff, WorkingHours

    cells = defaultdict(lambda: [0, 0])
    sql = OCCUPANCY_SQL.format(hours=connection.ops.quote_name(WorkingHours._meta.db_table), time_off=connection.ops.quote_name(TimeOff._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": filters.start, "end": filters.end, "zone": filters.zone_name, "practitioner": filters.practitioner_id})
        for practitioner_id, week, minutes in cursor.fetchall():
            cells[(practitioner_id, week)][1] += int(minutes)
    start, end = bounds(filters)
    booked = Appointment.objects.filter(start__gte=start, start__lt=end, status__in=Appointment.BLOCKING)
    if filters.practitioner_id:
        booked = booked.filter(practitioner_id=filters.practitioner_id)
    length = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
    for row in booked.annotate(week=TruncWeek("start", tzinfo=filters.zone, output_field=DateField())).values("practitioner_id", "week").annotate(
            booked=Sum(length)).order_by():
        cells[(row["practitioner_id"], row["week"])][0] += int(row["booked"].total_seconds() // 60)
    return cells


BOOKED, AVAILABLE = Column("booked", _("Booked"), MINUTES), Column("available", _("Available"), MINUTES)
OCCUPANCY = Column("occupancy", _("Occupancy"), PERCENT)


@register
class OccupancyByWeek(Report):
    """Booked over available minutes per ISO week (Monday to Sunday, local), of every
    practitioner together or of the one chosen (``OCCUPANCY_DEFINITION``)."""

    slug = "ocupacion-por-semana"
    title = _("Occupancy by week")
    definition = OCCUPANCY_DEFINITION
    audience = frozenset({ADMIN, PRACTITIONER, RECEPTION})
    columns = (Column("week", _("Week of"), WEEK), BOOKED, AVAILABLE, OCCUPANCY)
    chart = Chart("line", "week", ("occupancy",), _("Week"), _("Occupancy (%)"))

    def rows(self, filters):
        totals = defaultdict(lambda: [0, 0])
        for (_who, week), (booked, available) in occupancy_cells(filters).items():
            totals[week][0] += booked
            totals[week][1] += available
        return [{"week": w, "booked": totals[w][0], "available": totals[w][1], "occupancy": percent(*totals[w])} for w in weeks(filters)]


@register
class OccupancyByPractitioner(Report):
    """Booked over available minutes per practitioner over the whole range."""

    slug = "ocupacion-por-profesional"
    title = _("Occupancy by practitioner")
    definition = OCCUPANCY_DEFINITION
    audience = frozenset({ADMIN, PRACTITIONER, RECEPTION})
    columns = (Column("practitioner", _("Practitioner"), TEXT), BOOKED, AVAILABLE, OCCUPANCY)
    chart = Chart("hbars", "practitioner", ("occupancy",), _("Occupancy (%)"), _("Practitioner"))

    def rows(self, filters):
        totals = defaultdict(lambda: [0, 0])
        for (who, _week), (booked, available) in occupancy_cells(filters).items():
            totals[who][0] += booked
            totals[who][1] += available
        names = practitioner_names()
        rows = [{"practitioner": names.get(who, "?"), "booked": b, "available": a, "occupancy": percent(b, a)} for who, (b, a) in totals.items()]
        return sorted(rows, key=lambda r: r["practitioner"])


# -- attendance ---------------------------------------------------------------------------


def cancelled_at():
    """When an appointment was cancelled: the time of its cancellation's audit entry
    (clinic.actions CancelAppointment writes it; the appointment row keeps no time)."""
    from wagtail.models import ModelLogEntry

    from clinic.models import Appointment

    entries = ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Appointment), action="clinic.appointment.cancel",
                                           object_id=Cast(OuterRef("pk"), CharField())).order_by("-timestamp").values("timestamp")[:1]
    return Subquery(entries)


@register
class Attendance(Report):
    """Per local month of the appointments' start:

    - due: appointments of the month, except unpaid holds (pending, or released by the
      system) and those moved to another time (rescheduled: the new one counts);
    - no-shows: due ones marked "no-show";
    - late cancellations: due ones cancelled (by the patient or the clinic) less than the
      clinic's cancellation window (booking rules) before their start; the time of the
      cancellation is that of its audit entry (one without an entry counts as early);
    - the rates are over due, in percent.
    """

    slug = "ausencias-y-cancelaciones"
    title = _("No-shows and late cancellations")
    definition = _(
        "Due: the appointments of the month, except unpaid holds and appointments moved to another time. "
        "No-shows: those marked as no-show. Late cancellations: those cancelled (by the patient or the clinic) "
        "less than the cancellation window of the booking rules (%(hours)s h) before they started. Rates are over the due appointments."
    )
    audience = frozenset({ADMIN, PRACTITIONER, RECEPTION})
    columns = (Column("month", _("Month"), MONTH), Column("due", pgettext_lazy("report column", "Due")), Column("no_shows", _("No-shows")),
               Column("late", _("Late cancellations")), Column("no_show_rate", _("No-show rate"), PERCENT),
               Column("late_rate", _("Late-cancellation rate"), PERCENT))
    chart = Chart("line", "month", ("no_show_rate", "late_rate"), _("Month"), _("Rate (%)"))

    @staticmethod
    def window_hours() -> int:
        from clinic.models import BookingSettings

        return BookingSettings.load().cancellation_window_hours

    def rows(self, filters):
        from clinic.models import Appointment

        S, By = Appointment.Status, Appointment.CancelledBy
        window = timedelta(hours=self.window_hours())
        start, end = bounds(filters)
        due = Appointment.objects.filter(start__gte=start, start__lt=end, rescheduled_to__isnull=True).exclude(status=S.PENDING_PAYMENT).exclude(
            status=S.CANCELLED, cancelled_by=By.SYSTEM)
        if filters.practitioner_id:
            due = due.filter(practitioner_id=filters.practitioner_id)
        late = Q(status=S.CANCELLED, cancelled_by__in=[By.PATIENT, By.CLINIC], cancelled_at__gt=F("start") - Value(window, output_field=DurationField()))
        found = {row["month"]: row for row in due.annotate(month=month_of("start", filters), cancelled_at=cancelled_at()).values("month").annotate(
            due=Count("pk"), no_shows=Count("pk", filter=Q(status=S.NO_SHOW)), late=Count("pk", filter=late)).order_by()}
        rows = []
        for m in months(filters):
            row = found.get(m, {"due": 0, "no_shows": 0, "late": 0})
            rows.append({"month": m, "due": row["due"], "no_shows": row["no_shows"], "late": row["late"],
                         "no_show_rate": percent(row["no_shows"], row["due"]), "late_rate": percent(row["late"], row["due"])})
        return rows

    def definition_text(self):
        return self.definition % {"hours": self.window_hours()}


# -- patients -----------------------------------------------------------------------------


@register
class NewAndReturningPatients(Report):
    """Per local month: patients with a completed appointment in it (with the practitioner
    chosen, if any), split into new (their first completed appointment at the clinic,
    with anyone, is in that month) and returning (it was earlier). A patient is counted
    once a month. One query (``PATIENTS_SQL``)."""

    slug = "pacientes-nuevos-y-recurrentes"
    title = _("New and returning patients")
    definition = _("Patients seen (a completed appointment) in the month. New: their first completed appointment at the clinic is in that month. "
                   "Returning: they had been seen before. Each patient counts once a month.")
    audience = frozenset({ADMIN, PRACTITIONER})
    columns = (Column("month", _("Month"), MONTH), Column("new", _("New")), Column("returning", _("Returning")))
    chart = Chart("bars", "month", ("new", "returning"), _("Month"), _("Patients"))

    def rows(self, filters):
        from clinic.models import Appointment

        start, end = bounds(filters)
        sql = PATIENTS_SQL.format(table=connection.ops.quote_name(Appointment._meta.db_table))
        with connection.cursor() as cursor:
            cursor.execute(sql, {"done": Appointment.Status.COMPLETED.value, "zone": filters.zone_name, "start": start, "end": end,
                                 "practitioner": filters.practitioner_id})
            found = {month: (seen, new) for month, seen, new in cursor.fetchall()}
        return [{"month": m, "new": found.get(m, (0, 0))[1], "returning": found.get(m, (0, 0))[0] - found.get(m, (0, 0))[1]} for m in months(filters)]


# Each patient's first completed appointment is found once (a GROUP BY joined back), not
# once per visit: a correlated subquery cost 630 ms over a year of 20,000 appointments.
PATIENTS_SQL = """
WITH firsts AS (
    SELECT patient_id, MIN(start) AS first FROM {table} WHERE status = %(done)s GROUP BY patient_id
)
SELECT date_trunc('month', a.start AT TIME ZONE %(zone)s)::date AS month, COUNT(DISTINCT a.patient_id) AS seen,
       COUNT(DISTINCT a.patient_id) FILTER (
           WHERE date_trunc('month', f.first AT TIME ZONE %(zone)s) = date_trunc('month', a.start AT TIME ZONE %(zone)s)) AS new
FROM {table} AS a JOIN firsts AS f ON f.patient_id = a.patient_id
WHERE a.status = %(done)s AND a.start >= %(start)s AND a.start < %(end)s
  AND (%(practitioner)s::bigint IS NULL OR a.practitioner_id = %(practitioner)s::bigint)
GROUP BY 1
"""


@register
class TopServices(Report):
    """The ten services with most completed appointments in the range (ties by name), with
    the value of those appointments at the price they were booked at. One query."""

    slug = "servicios-mas-realizados"
    title = _("Top services")
    definition = _("The ten services with most completed appointments in the period; value: those appointments at the price they were booked at.")
    audience = frozenset({ADMIN, PRACTITIONER})
    columns = (Column("service", _("Service"), TEXT), Column("visits", _("Completed appointments")), Column("value", _("Value"), MONEY))
    chart = Chart("hbars", "service", ("visits",), _("Completed appointments"), _("Service"))
    limit = 10

    def rows(self, filters):
        from clinic.models import Appointment

        start, end = bounds(filters)
        done = Appointment.objects.filter(status=Appointment.Status.COMPLETED, start__gte=start, start__lt=end)
        if filters.practitioner_id:
            done = done.filter(practitioner_id=filters.practitioner_id)
        found = done.values("service_id", "service__name").annotate(visits=Count("pk"), value=Sum("price")).order_by("-visits", "service__name")
        return [{"service": r["service__name"], "visits": r["visits"], "value": r["value"]} for r in found[: self.limit]]


@register
class PlanAcceptance(Report):
    """Per local month an estimate was presented: estimates presented (each version
    counts, except versions replaced by a newer one), accepted, rejected, still
    waiting; the acceptance rate (accepted over presented) and the accepted value (the
    accepted estimates' totals; money, clinic admins only). One query."""

    slug = "aceptacion-de-planes"
    title = _("Treatment-plan acceptance")
    definition = _("Estimates presented in the month (a version replaced by a newer one does not count), how many were accepted, rejected or are waiting; "
                   "rate: accepted over presented; value: the totals of the accepted ones.")
    audience = frozenset({ADMIN, PRACTITIONER})
    columns = (Column("month", _("Month"), MONTH), Column("presented", pgettext_lazy("report column", "Presented")), Column("accepted", pgettext_lazy("report column", "Accepted")),
               Column("rejected", pgettext_lazy("report column", "Rejected")), Column("rate", _("Acceptance rate"), PERCENT), Column("value", _("Accepted value"), MONEY))
    chart = Chart("bars", "month", ("presented", "accepted"), _("Month"), _("Estimates"))

    def rows(self, filters):
        from clinic.models import Estimate

        start, end = bounds(filters)
        shown = Estimate.objects.filter(presented_at__gte=start, presented_at__lt=end).exclude(status=Estimate.Status.WITHDRAWN)
        if filters.practitioner_id:
            shown = shown.filter(plan__practitioner_id=filters.practitioner_id)
        accepted = Q(accepted_at__isnull=False)
        found = {row["month"]: row for row in shown.annotate(month=month_of("presented_at", filters)).values("month").annotate(
            presented=Count("pk"), accepted=Count("pk", filter=accepted), rejected=Count("pk", filter=Q(rejected_at__isnull=False)),
            value=Sum("total", filter=accepted)).order_by()}
        rows = []
        for m in months(filters):
            row = found.get(m, {"presented": 0, "accepted": 0, "rejected": 0, "value": None})
            rows.append({"month": m, "presented": row["presented"], "accepted": row["accepted"], "rejected": row["rejected"],
                         "rate": percent(row["accepted"], row["presented"]), "value": row["value"] or ZERO})
        return rows


from . import finance  # noqa: E402,F401  the clinic-wide money reports register after these
