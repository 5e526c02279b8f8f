"""What the staff agenda shows (read-only): a day or a week of appointments, working
hours, time off and free times, laid out on a time grid, in the clinic's zone.

A constant number of queries whatever the number of appointments: practitioners,
hours, time off, appointments (with patient, service and practitioner), and one
aggregate for what each appointment has been paid.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from portal.tenancy import clinic_zone

from .models import Appointment, BookingSettings, PatientPayment, Practitioner, TimeOff, WorkingHours

ROW_MINUTES = 5  # the grid's resolution: every block starts and ends on a 5-minute row
DEFAULT_OPEN, DEFAULT_CLOSE = time(9), time(18)


class PaymentState:
    """An appointment's money, as the agenda says it (feminine in Spanish: la cita)."""

    AWAITING = "awaiting", pgettext_lazy("appointment payment", "awaiting online payment")
    PAID = "paid", pgettext_lazy("appointment payment", "paid")
    PART = "part", pgettext_lazy("appointment payment", "partly paid")
    DUE = "due", pgettext_lazy("appointment payment", "to pay at the clinic")
    FREE = "free", pgettext_lazy("appointment payment", "no charge")


def payment_state(appointment: Appointment, paid: Decimal) -> tuple[str, str]:
    if appointment.status == Appointment.Status.PENDING_PAYMENT:
        return PaymentState.AWAITING
    if appointment.price <= 0:
        return PaymentState.FREE
    if paid >= appointment.price:
        return PaymentState.PAID
    if paid > 0:
        return PaymentState.PART
    return PaymentState.DUE


@dataclass
class Block:
    appointment: Appointment
    start: datetime  # local
    end: datetime
    row: int  # first grid row (1-based, after the header)
    span: int
    paid: Decimal
    payment: tuple[str, str]
    late: bool = False
    status_label: str = ""


@dataclass
class FreeCell:
    start: datetime  # local
    row: int
    span: int
    bookable: bool  # not in the past


@dataclass
class Column:
    key: str
    title: str
    practitioner: Practitioner | None
    day: date
    room: object = None  # a Room, when the day is shown by room
    blocks: list[Block] = field(default_factory=list)
    free: list[FreeCell] = field(default_factory=list)
    closed: list[tuple[int, int]] = field(default_factory=list)  # (row, span) outside hours or away


@dataclass
class Grid:
    opens: datetime  # first row's local time (of the first day)
    rows: int
    columns: list[Column]
    labels: list[tuple[int, str]]  # (row, "09:00") every 30 minutes
    now_row: int | None
    step: int


def _paid(appointment_ids) -> dict[int, Decimal]:
    rows = (
        PatientPayment.objects.filter(appointment_id__in=appointment_ids)
        .values("appointment_id").annotate(total=Sum(F("amount") - F("refunded_amount")))
    )
    return {row["appointment_id"]: row["total"] or Decimal("0") for row in rows}


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def build(*, days: list[date], practitioners: list[Practitioner], service=None, status: str = "", now=None, by_day: bool = False,
          rooms=None) -> Grid:
    """The grid for ``days`` × ``practitioners`` (one column per practitioner for one day,
    or one column per day for one practitioner with ``by_day``), or with ``rooms`` one
    column per room for one day (free while the clinic is open and the room is)."""
    zone = clinic_zone()
    now = now or timezone.now()
    step = max(BookingSettings.load().slot_step_minutes, 5)
    ids = [p.pk for p in practitioners]
    first, last = days[0], days[-1]
    window = (datetime.combine(first, time.min, zone), datetime.combine(last + timedelta(days=1), time.min, zone))

    hours = defaultdict(list)
    for h in WorkingHours.objects.filter(practitioner_id__in=ids):
        hours[(h.practitioner_id, h.weekday)].append((h.start, h.end))
    off = list(TimeOff.objects.filter(start__lt=window[1], end__gt=window[0]).values_list("practitioner_id", "start", "end"))
    appointments = Appointment.objects.filter(practitioner_id__in=ids, start__lt=window[1], end__gt=window[0]).select_related(
        "patient", "service", "practitioner__user", "room")
    if status:
        appointments = appointments.filter(status=status)
    else:
        appointments = appointments.exclude(status=Appointment.Status.CANCELLED)
    if service is not None:
        appointments = appointments.filter(service=service)
    appointments = list(appointments.order_by("start"))
    paid = _paid([a.pk for a in appointments])
    # Status labels once per request: get_status_display() per block costs more than the rest of the page.
    labels = {value: str(label) for value, label in Appointment.Status.choices}

    # The rows run from the earliest opening to the latest closing (or the earliest/latest appointment).
    open_m = min([_minutes(s) for spans in hours.values() for s, _e in spans] or [_minutes(DEFAULT_OPEN)])
    close_m = max([_minutes(e) for spans in hours.values() for _s, e in spans] or [_minutes(DEFAULT_CLOSE)])
    for a in appointments:
        local_start, local_end = timezone.localtime(a.start, zone), timezone.localtime(a.end, zone)
        open_m = min(open_m, local_start.hour * 60 + local_start.minute)
        close_m = max(close_m, local_end.hour * 60 + local_end.minute if local_end.date() == local_start.date() else 24 * 60)
    open_m, close_m = open_m // 30 * 30, min(-(-close_m // 30) * 30, 24 * 60)
    rows = (close_m - open_m) // ROW_MINUTES

    def row_of(local: datetime, day: date) -> int:
        minutes = (local.date() - day).days * 24 * 60 + local.hour * 60 + local.minute
        return max(0, min(rows, (minutes - open_m) // ROW_MINUTES)) + 1

    columns = []
    if rooms is not None:
        pairs = [(room, d) for d in days for room in rooms]
    else:
        pairs = [(p, d) for d in days for p in practitioners] if not by_day else [(practitioners[0], d) for d in days]
    for owner, day in pairs:
        by_room = rooms is not None
        practitioner = None if by_room else owner
        title = owner.name if by_room else (practitioner.display_name if not by_day else day)
        column = Column(key=f"{'r' if by_room else ''}{owner.pk}-{day}", title=title, practitioner=practitioner, day=day, room=owner if by_room else None)
        day_start = datetime.combine(day, time.min, zone)
        if by_room:  # open while any practitioner works; away only on clinic holidays
            spans = sorted(span for (pid, weekday), rows_ in hours.items() if weekday == day.weekday() for span in rows_)
            merged = []
            for s, e in spans:
                if merged and s <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], e))
                else:
                    merged.append((s, e))
            stretches = [(datetime.combine(day, s, zone), datetime.combine(day, e, zone)) for s, e in merged]
            away = sorted((max(s, day_start), e) for pid, s, e in off if pid is None and s < day_start + timedelta(days=1) and e > day_start)
        else:
            stretches = sorted((datetime.combine(day, s, zone), datetime.combine(day, e, zone)) for s, e in hours[(practitioner.pk, day.weekday())])
            away = sorted((max(s, day_start), e) for pid, s, e in off if (pid is None or pid == practitioner.pk) and s < day_start + timedelta(days=1) and e > day_start)
        busy = []
        for a in appointments:
            mine = a.room_id == owner.pk if by_room else a.practitioner_id == owner.pk
            if not mine or timezone.localdate(a.start, zone) != day:
                continue
            local_start, local_end = timezone.localtime(a.start, zone), timezone.localtime(a.end, zone)
            first_row = row_of(local_start, day)
            block = Block(
                appointment=a, start=local_start, end=local_end, row=first_row, span=max(1, row_of(local_end, day) - first_row),
                paid=paid.get(a.pk, Decimal("0")), payment=payment_state(a, paid.get(a.pk, Decimal("0"))),
                late=a.status == Appointment.Status.CONFIRMED and a.start < now, status_label=labels[a.status],
            )
            column.blocks.append(block)
            if a.status in Appointment.BLOCKING:
                busy.append((a.occupied.lower, a.occupied.upper))
        # Grey: everything outside the stretches, and time off.
        cursor = datetime.combine(day, time.min, zone) + timedelta(minutes=open_m)
        for s, e in stretches:
            if s > cursor:
                column.closed.append((row_of(cursor, day), row_of(s, day) - row_of(cursor, day)))
            cursor = max(cursor, e)
        end_of_grid = datetime.combine(day, time.min, zone) + timedelta(minutes=close_m)
        if cursor < end_of_grid:
            column.closed.append((row_of(cursor, day), row_of(end_of_grid, day) - row_of(cursor, day)))
        for s, e in away:
            local_s, local_e = timezone.localtime(s, zone), min(timezone.localtime(e, zone), end_of_grid)
            if local_e > local_s:
                column.closed.append((row_of(local_s, day), max(1, row_of(local_e, day) - row_of(local_s, day))))
        # Free cells: each step inside the hours, clear of appointments and time off.
        blocked = sorted(busy + [(s, e) for s, e in away])
        for s, e in stretches:
            t = s
            while t + timedelta(minutes=step) <= e:
                t_end = t + timedelta(minutes=step)
                if not any(bs < t_end and be > t for bs, be in blocked):
                    local = timezone.localtime(t, zone)
                    column.free.append(FreeCell(start=local, row=row_of(local, day), span=step // ROW_MINUTES, bookable=t >= now - timedelta(minutes=step)))
                t = t_end
        column.closed = [(r, s) for r, s in column.closed if s > 0]
        columns.append(column)

    labels = [(((m - open_m) // ROW_MINUTES) + 1, f"{m // 60:02d}:{m % 60:02d}") for m in range(open_m, close_m, 30)]
    local_now = timezone.localtime(now, zone)
    now_row = None
    if local_now.date() in days and open_m <= local_now.hour * 60 + local_now.minute < close_m:
        now_row = (local_now.hour * 60 + local_now.minute - open_m) // ROW_MINUTES + 1
    return Grid(opens=datetime.combine(first, time.min, zone) + timedelta(minutes=open_m), rows=rows, columns=columns, labels=labels,
                now_row=now_row, step=step)


def day_list(grid: Grid) -> list[Block]:
    """The day as one list by time (the phone's view)."""
    return sorted((b for c in grid.columns for b in c.blocks), key=lambda b: (b.start, b.appointment.practitioner.sort_order))
