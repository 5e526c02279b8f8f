"""The slot engine, on plain values: hours, breaks, buffers, time off, daylight saving,
notice, horizon and "any practitioner"."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.availability import BadRequest, Rules, Slot, first_per_time, free_slots

MADRID = ZoneInfo("Europe/Madrid")
MONDAY = date(2026, 12, 7)
LONG_AGO, FAR_AWAY = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def rules(duration=30, buffer=0, step=30, earliest=LONG_AGO, latest=FAR_AWAY):
    return Rules(timedelta(minutes=duration), timedelta(minutes=buffer), timedelta(minutes=step), earliest, latest)


def local(day, hh, mm=0):
    return datetime.combine(day, time(hh, mm), MADRID)


def starts(slots, practitioner=None):
    return [s.start.astimezone(MADRID).strftime("%H:%M") for s in slots if practitioner in (None, s.practitioner_id)]


HOURS = {1: {0: [(time(9), time(11)), (time(12), time(13))]}}  # Monday 9–11 and 12–13 (break 11–12)


def test_weekly_hours_with_a_break():
    slots = free_slots(days=[MONDAY], zone=MADRID, rules=rules(), hours=HOURS, busy={})
    assert starts(slots) == ["09:00", "09:30", "10:00", "10:30", "12:00", "12:30"]


def test_closed_days_have_no_slots():
    assert free_slots(days=[MONDAY + timedelta(days=1)], zone=MADRID, rules=rules(), hours=HOURS, busy={}) == []


def test_an_appointment_and_its_buffer_block_overlapping_starts():
    busy = {1: [(local(MONDAY, 9, 30), local(MONDAY, 10, 15))]}  # 9:30–10:00 plus a 15-minute buffer
    slots = free_slots(days=[MONDAY], zone=MADRID, rules=rules(step=15), hours=HOURS, busy=busy)
    assert "09:15" not in starts(slots) and "10:00" not in starts(slots)
    assert starts(slots)[:3] == ["09:00", "10:15", "10:30"]


def test_the_service_buffer_must_fit_before_the_next_appointment():
    busy = {1: [(local(MONDAY, 10), local(MONDAY, 10, 30))]}
    slots = free_slots(days=[MONDAY], zone=MADRID, rules=rules(duration=30, buffer=15, step=15), hours=HOURS, busy=busy)
    assert "09:15" in starts(slots) and "09:30" not in starts(slots)  # 9:30–10:00 + 15 min runs into 10:00


def test_time_off_removes_the_day():
    busy = {1: [(local(MONDAY, 0), local(MONDAY + timedelta(days=1), 0))]}
    assert free_slots(days=[MONDAY], zone=MADRID, rules=rules(), hours=HOURS, busy=busy) == []


def test_minimum_notice_and_horizon():
    slots = free_slots(days=[MONDAY], zone=MADRID, rules=rules(earliest=local(MONDAY, 10), latest=local(MONDAY, 12)), hours=HOURS, busy={})
    assert starts(slots) == ["10:00", "10:30", "12:00"]


@pytest.mark.parametrize(
    "day, utc_hour",
    [(date(2026, 3, 28), 8), (date(2026, 3, 29), 7), (date(2026, 10, 24), 7), (date(2026, 10, 25), 8)],
    ids=["before-spring-forward", "spring-forward-day", "before-fall-back", "fall-back-day"],
)
def test_nine_oclock_on_the_wall_across_daylight_saving_changes(day, utc_hour):
    hours = {1: {day.weekday(): [(time(9), time(10))]}}
    slots = free_slots(days=[day], zone=MADRID, rules=rules(), hours=hours, busy={})
    assert [s.start.astimezone(MADRID).strftime("%H:%M") for s in slots] == ["09:00", "09:30"]
    assert slots[0].start.astimezone(UTC).hour == utc_hour
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_a_wall_time_skipped_by_the_clock_change_is_not_offered():
    day = date(2026, 3, 29)  # 02:00 → 03:00 in Madrid
    hours = {1: {day.weekday(): [(time(1), time(4))]}}
    slots = free_slots(days=[day], zone=MADRID, rules=rules(step=30), hours=hours, busy={})
    assert "02:00" not in starts(slots) and "02:30" not in starts(slots)
    assert len({s.start for s in slots}) == len(slots)


def test_any_practitioner_offers_each_time_once():
    hours = {1: {0: [(time(9), time(10))]}, 2: {0: [(time(9), time(11))]}}
    busy = {1: [(local(MONDAY, 9), local(MONDAY, 9, 30))]}
    slots = first_per_time(free_slots(days=[MONDAY], zone=MADRID, rules=rules(), hours=hours, busy=busy))
    assert starts(slots) == ["09:00", "09:30", "10:00", "10:30"]
    assert slots[0] == Slot(local(MONDAY, 9).astimezone(UTC), local(MONDAY, 9, 30).astimezone(UTC), 2)


@pytest.mark.parametrize("kwargs", [{"duration": 0}, {"duration": -30}, {"step": 0}, {"buffer": -5}])
def test_nonsense_durations_are_refused_not_looped_on(kwargs):
    """D's free-slot endpoint looped forever on a duration of 0 or less (PRIOR-ART #24)."""
    with pytest.raises(BadRequest):
        free_slots(days=[MONDAY], zone=MADRID, rules=rules(**kwargs), hours=HOURS, busy={})
