"""The filters a report page reads from its query string, parsed strictly.

``desde`` and ``hasta`` are local dates (YYYY-MM-DD, both included; by default the last
12 months: the first day of the month eleven months ago to today), ``profesional`` a
practitioner's id (empty: all). An impossible date, a NUL byte, a reversed range or
one longer than five years, an id that is not a number or no practitioner of this
clinic: ``FilterError`` with a translated message (the page answers 400). A
practitioner reader always gets their own numbers, whatever they asked for.
"""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.tenancy import clinic_zone

from .base import PRACTITIONER, Filters, clinic_currency

MAX_DAYS = 5 * 366
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


class FilterError(ValueError):
    """Filters no report can answer; the message is translated, for the reader."""


def default_range(today: date) -> tuple[date, date]:
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today


def _day(raw: str) -> date:
    if "\x00" in raw or len(raw) != 10:
        raise FilterError(_("Give the dates as YYYY-MM-DD."))
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise FilterError(_("Give the dates as YYYY-MM-DD.")) from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise FilterError(_("Choose dates between 2000 and 2100."))
    return day


def parse_filters(query, access) -> Filters:
    """``Filters`` from ``query`` (request.GET) for a reader with ``access``."""
    from clinic.models import Practitioner

    zone = clinic_zone()
    start, end = default_range(timezone.localdate(timezone.now(), zone))
    raw_start, raw_end = (query.get("desde") or "").strip(), (query.get("hasta") or "").strip()
    if raw_start:
        start = _day(raw_start)
    if raw_end:
        end = _day(raw_end)
    if end < start:
        raise FilterError(_("The end date must not be before the start date."))
    if end - start > timedelta(days=MAX_DAYS):
        raise FilterError(_("Choose a range of five years at most."))
    practitioner = None
    raw = (query.get("profesional") or "").strip()
    if access.role == PRACTITIONER:
        practitioner = access.practitioner
    elif raw:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            raise FilterError(_("Choose a practitioner from the list."))
        practitioner = Practitioner.objects.filter(pk=int(raw)).select_related("user").first()
        if practitioner is None:
            raise FilterError(_("Choose a practitioner from the list."))
    return Filters(start=start, end=end, practitioner=practitioner, zone=zone, currency=clinic_currency())
