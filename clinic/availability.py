"""Free appointment times: a plain module, pure at its core.

``free_slots`` works on plain values (weekly hours, time off, busy ranges) so it can
be tested exhaustively; ``find_slots`` loads those values for a clinic in four
queries. All arithmetic is on aware datetimes: weekly hours are wall-clock times in
the clinic's zone, turned into absolute instants day by day, so a daylight-saving
change shortens or lengthens that day's stretch exactly as the clock on the wall.
"""

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_RANGE_DAYS = 62


class BadRequest(ValueError):
    """Parameters no search could answer (shown to the caller as a 400)."""


# Issue 8, item 13: dateparse raises ValueError on well-formed impossible dates
# (2026-02-30, month 13, offset +99:00) and datetime arithmetic raises OverflowError
# near years 1 and 9999 (STACK-NOTES, traps). Every date a visitor types goes through
# these two helpers, which answer a value or a BadRequest carrying a translated message.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2200


def parse_day(value: str | None) -> date | None:
    """``YYYY-MM-DD`` typed by a visitor: None when empty, the date, or BadRequest
    (translated) when it is malformed, impossible or absurdly far from today."""
    from django.utils.dateparse import parse_date
    from django.utils.translation import gettext as _

    if not value:
        return None
    try:
        day = parse_date(value)
    except (ValueError, OverflowError):
        day = None
    if day is None:
        raise BadRequest(_("Give the date as YYYY-MM-DD."))
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise BadRequest(_("Choose a date within the booking period."))
    return day


def parse_id(value, message: str = "") -> int | None:
    """A database id from a URL or form: None when empty, the number, or BadRequest
    (``message``, translated) for anything else (letters, signs, 10+ digits that
    would overflow the column)."""
    from django.utils.translation import gettext as _

    if value in (None, ""):
        return None
    value = str(value)
    if not value.isdigit() or len(value) > 9:
        raise BadRequest(message or _("That choice is not valid."))
    return int(value)


def parse_instant(value: str | None, earliest: datetime, latest: datetime) -> datetime:
    """An ISO 8601 start time with its offset, as the booking pages send it: an aware
    datetime between ``earliest`` and ``latest``, or BadRequest (translated)."""
    from django.utils.dateparse import parse_datetime
    from django.utils.translation import gettext as _

    problem = BadRequest(_("That time cannot be booked. Please choose a time from the list."))
    try:
        instant = parse_datetime(value or "")
        if instant is None or instant.tzinfo is None or instant.utcoffset() is None:
            raise problem
        instant = instant.astimezone(UTC)
    except (ValueError, OverflowError, TypeError):
        raise problem from None
    if not earliest <= instant <= latest:
        raise problem
    return instant


def booking_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The instants a visitor may name at all: a day before now to a day after the
    clinic's booking horizon (finer rules, such as minimum notice, are the booking's)."""
    from django.utils import timezone

    from .models import BookingSettings

    now = now or timezone.now()
    return now - timedelta(days=1), now + timedelta(days=BookingSettings.load().horizon_days + 1)


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime
    end: datetime
    practitioner_id: int


@dataclass(frozen=True)
class Rules:
    duration: timedelta
    buffer: timedelta
    step: timedelta
    earliest: datetime  # now + minimum notice
    latest: datetime  # now + horizon


def free_slots(
    *,
    days: list[date],
    zone: ZoneInfo,
    rules: Rules,
    hours: dict[int, dict[int, list[tuple[time, time]]]],
    busy: dict[int, list[tuple[datetime, datetime]]],
) -> list[Slot]:
    """Every start time at which each practitioner in ``hours`` is free for the whole
    appointment plus its buffer. ``busy`` ranges (appointments with their buffers, time
    off, clinic holidays) must be sorted by start per practitioner."""
    if rules.duration <= timedelta(0) or rules.step <= timedelta(0) or rules.buffer < timedelta(0):
        raise BadRequest("duration and step must be positive")
    occupied = rules.duration + rules.buffer
    slots = []
    for practitioner_id, week in hours.items():
        ranges = busy.get(practitioner_id, [])
        starts = [r[0] for r in ranges]
        # The latest end among ranges that start before each index, for an O(log n) overlap test.
        running_end, ends_before = None, []
        for _start, end in ranges:
            running_end = end if running_end is None or end > running_end else running_end
            ends_before.append(running_end)
        for day in days:
            for open_at, close_at in week.get(day.weekday(), ()):
                opening = datetime.combine(day, open_at, zone)
                closing = datetime.combine(day, close_at, zone)
                candidate = opening
                # Wall-clock steps (9:00, 9:15… as on the clinic's clock), each made an
                # absolute instant; a wall time skipped by a daylight-saving jump is skipped.
                while candidate + rules.duration <= closing:
                    instant = candidate.astimezone(UTC)
                    exists = instant.astimezone(zone).replace(tzinfo=None) == candidate.replace(tzinfo=None)
                    if exists and rules.earliest <= instant <= rules.latest:
                        finish = instant + occupied
                        index = bisect_left(starts, finish)  # busy ranges starting before our end
                        if index == 0 or ends_before[index - 1] <= instant:
                            slots.append(Slot(instant, instant + rules.duration, practitioner_id))
                    candidate += rules.step
    slots.sort()
    return slots


def first_per_time(slots: list[Slot]) -> list[Slot]:
    """For "any practitioner": one slot per start time (the first practitioner free)."""
    seen, result = set(), []
    for slot in slots:
        if slot.start not in seen:
            seen.add(slot.start)
            result.append(slot)
    return result


STAFF_HORIZON_DAYS = 2 * 365


def find_slots(*, service, practitioner=None, start: date, end: date, now: datetime | None = None, one_per_time: bool = True, staff: bool = False) -> list[Slot]:
    """Free slots in the current clinic for ``service`` between two dates (inclusive),
    for one practitioner or for any who offers the service (one slot per time unless
    ``one_per_time`` is off).

    ``staff``: booking at the desk, which may book inside the minimum notice (from
    the current slot on: a walk-in) and beyond the online horizon (two years); the
    working hours, time off and other appointments bind staff exactly as patients."""
    from django.utils import timezone

    from portal.tenancy import clinic_zone

    from .models import Appointment, BookingSettings, Practitioner, TimeOff, WorkingHours

    if end < start:
        raise BadRequest("the end date is before the start date")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise BadRequest(f"ask for at most {MAX_RANGE_DAYS} days at a time")
    if service.duration_minutes <= 0:
        raise BadRequest("the service has no duration")
    zone = clinic_zone()
    settings_row = BookingSettings.load()
    now = now or timezone.now()
    # Nothing is free outside [today, horizon]: clamp, so far-off years never reach datetime arithmetic.
    today = timezone.localdate(now, timezone=zone)
    horizon_days = STAFF_HORIZON_DAYS if staff else settings_row.horizon_days
    start, end = max(start, today - timedelta(days=1)), min(end, today + timedelta(days=horizon_days + 1))
    if end < start:
        return []
    rules = Rules(
        duration=timedelta(minutes=service.duration_minutes),
        buffer=timedelta(minutes=service.buffer_minutes),
        step=timedelta(minutes=settings_row.slot_step_minutes),
        earliest=now - timedelta(minutes=settings_row.slot_step_minutes) if staff else now + timedelta(hours=settings_row.min_notice_hours),
        latest=now + timedelta(days=horizon_days),
    )
    practitioners = Practitioner.objects.active().filter(services=service)
    if practitioner is not None:
        practitioners = practitioners.filter(pk=practitioner.pk)
    ids = list(practitioners.values_list("pk", flat=True))
    if not ids:
        return []
    window_start = datetime.combine(start, time.min, zone)
    window_end = datetime.combine(end + timedelta(days=1), time.min, zone) + rules.duration + rules.buffer

    hours: dict[int, dict[int, list]] = {pid: defaultdict(list) for pid in ids}
    for pid, weekday, open_at, close_at in WorkingHours.objects.filter(practitioner_id__in=ids).values_list("practitioner_id", "weekday", "start", "end"):
        hours[pid][weekday].append((open_at, close_at))
    busy: dict[int, list] = defaultdict(list)
    for pid, occupied in (
        Appointment.objects.holding_time()
        .filter(practitioner_id__in=ids, occupied__overlap=(window_start, window_end))
        .values_list("practitioner_id", "occupied")
    ):
        busy[pid].append((occupied.lower, occupied.upper))
    for pid, off_start, off_end in TimeOff.objects.filter(start__lt=window_end, end__gt=window_start).values_list("practitioner_id", "start", "end"):
        for target in ids if pid is None else [pid]:
            if target in hours:
                busy[target].append((off_start, off_end))
    for ranges in busy.values():
        ranges.sort()
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    slots = free_slots(days=days, zone=zone, rules=rules, hours=hours, busy=busy)
    slots = _with_a_free_room(slots, service, rules.duration + rules.buffer, window_start, window_end)
    return first_per_time(slots) if practitioner is None and one_per_time else slots


def _with_a_free_room(slots, service, occupied, window_start, window_end):
    """A clinic with rooms offers only times when a room with the service's equipment is
    free as well (two queries more; none for a clinic without rooms)."""
    from .models import Appointment, Room

    if not slots or not Room.objects.active().exists():
        return slots
    suitable = list(Room.objects.suitable_for(service).values_list("pk", flat=True))
    busy = defaultdict(list)
    for room_id, taken in (
        Appointment.objects.holding_time().filter(room_id__in=suitable, occupied__overlap=(window_start, window_end)).values_list("room_id", "occupied")
    ):
        busy[room_id].append((taken.lower, taken.upper))

    def free(slot):
        finish = slot.start + occupied
        return any(all(not (lower < finish and upper > slot.start) for lower, upper in busy[room]) for room in suitable)

    return [slot for slot in slots if free(slot)]


def free_rooms(service, start: datetime, finish: datetime) -> list[int]:
    """Ids of the rooms fit for ``service`` and free from ``start`` to ``finish``, in
    order; [] for a clinic without rooms (the booking then takes none)."""
    from .models import Appointment, Room

    suitable = list(Room.objects.suitable_for(service).values_list("pk", flat=True))
    taken = set(Appointment.objects.holding_time().filter(room_id__in=suitable, occupied__overlap=(start, finish)).values_list("room_id", flat=True))
    return [room for room in suitable if room not in taken]
