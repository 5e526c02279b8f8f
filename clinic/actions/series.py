"""Recurring appointments: preview the dates (which are free, which clash and why),
book the free ones as one series, cancel all that remain."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.tenancy import clinic_zone

from ..availability import find_slots
from ..models import Appointment, AppointmentSeries, TimeOff, WorkingHours
from .appointments import BookAppointment, CancelAppointment, SlotTaken, queue_appointment_email
from .base import ActionError, ClinicAction, when


@dataclass
class SeriesDate:
    start: datetime  # aware, UTC
    local: datetime
    free: bool
    reason: str = ""


def series_starts(first: datetime, *, interval_weeks: int, count: int) -> list[datetime]:
    """The same wall-clock time every ``interval_weeks`` weeks (daylight saving keeps
    10:00 at 10:00 on the clinic's clock)."""
    zone = clinic_zone()
    local = timezone.localtime(first, zone)
    return [datetime.combine(local.date() + timedelta(weeks=interval_weeks * i), local.time(), zone) for i in range(count)]


def preview(*, service, practitioner, first: datetime, interval_weeks: int, count: int) -> list[SeriesDate]:
    """Every date of the series with whether it can be booked, and why not."""
    zone = clinic_zone()
    result = []
    for start in series_starts(first, interval_weeks=interval_weeks, count=count):
        day = start.date()
        free = {s.start for s in find_slots(service=service, practitioner=practitioner, start=day, end=day, one_per_time=False, staff=True)
                if s.practitioner_id == practitioner.pk}
        if start in free:
            result.append(SeriesDate(start, timezone.localtime(start, zone), True))
            continue
        finish = start + timedelta(minutes=service.duration_minutes + service.buffer_minutes)
        local = timezone.localtime(start, zone)
        hours = WorkingHours.objects.filter(practitioner=practitioner, weekday=local.weekday(), start__lte=local.time(),
                                            end__gte=timezone.localtime(finish - timedelta(minutes=service.buffer_minutes), zone).time())
        if start < timezone.now():
            reason = _("in the past")
        elif not hours.exists():
            reason = _("outside their hours")
        elif TimeOff.objects.filter(start__lt=finish, end__gt=start).filter(practitioner__in=[practitioner]).exists() or \
                TimeOff.objects.filter(start__lt=finish, end__gt=start, practitioner__isnull=True).exists():
            reason = _("time off or clinic holiday")
        else:
            reason = _("another appointment")
        result.append(SeriesDate(start, local, False, reason))
    return result


class BookSeries(ClinicAction):
    """Book the free dates of a series in one transaction (a date taken meanwhile is
    skipped too). The patient is e-mailed once, for the first appointment; the rest
    are in their account. Returns the series; ``booked`` and ``skipped`` say which."""

    permission = "clinic.add_appointment"
    log_action = "clinic.series.book"

    def __init__(self, *, patient, service, practitioner, first: datetime, interval_weeks: int, count: int, actor=None):
        super().__init__(actor=actor)
        self.patient, self.service, self.practitioner = patient, service, practitioner
        self.first, self.interval_weeks, self.count = first, interval_weeks, count

    def user_has_permission(self) -> bool:
        if not super().user_has_permission():
            return False
        return self.actor is None or self.actor.has_perm("clinic.change_any_appointment") or self.practitioner.user_id == self.actor.pk

    def perform(self) -> AppointmentSeries:
        if self.interval_weeks not in (1, 2) or not 2 <= self.count <= 52:
            raise ActionError(_("Repeat every one or two weeks, 2 to 52 times."))
        series = AppointmentSeries.objects.create(
            patient=self.patient, practitioner=self.practitioner, service=self.service, first_start=self.first,
            interval_weeks=self.interval_weeks, count=self.count, created_by=self.log_user,
        )
        self.booked, self.skipped = [], []
        for start in series_starts(self.first, interval_weeks=self.interval_weeks, count=self.count):
            try:
                appointment = BookAppointment(patient=self.patient, service=self.service, start=start, practitioner=self.practitioner,
                                              desk=True, series=series, notify=False).perform()
            except SlotTaken:
                self.skipped.append(start)
                continue
            self.write_log(appointment, "clinic.appointment.book", {"series": series.pk, "start": when(start), "desk": True})
            self.booked.append(appointment)
        if not self.booked:
            raise ActionError(_("None of these dates is free: nothing was booked."))
        queue_appointment_email(self.booked[0], "confirmation")
        return series

    def write_log(self, instance, action=None, data=None):
        if isinstance(instance, AppointmentSeries):
            data = {"patient": str(self.patient), "practitioner": str(self.practitioner), "booked": [when(a.start) for a in self.booked],
                    "skipped": [when(s) for s in self.skipped], "every_weeks": self.interval_weeks}
            instance = self.booked[0]  # the series' entry sits on its first appointment's history
            action = self.log_action
        super().write_log(instance, action, data)


def cancel_rest_of_series(appointment: Appointment, *, reason: str, actor) -> int:
    """Cancel every appointment of ``appointment``'s series from it on that is still to
    happen, each through CancelAppointment (refunds, e-mail, audit). Not in a
    transaction: refunds talk to Stripe. Returns how many were cancelled."""
    if appointment.series_id is None:
        raise ActionError(_("This appointment is not part of a series."))
    if not (reason or "").strip():
        raise ActionError(_("Say why the appointment is cancelled: the patient is told."))
    cancelled = 0
    rest = Appointment.objects.filter(series_id=appointment.series_id, start__gte=appointment.start,
                                      status__in=[Appointment.Status.PENDING_PAYMENT, Appointment.Status.CONFIRMED]).order_by("start")
    for item in rest:
        CancelAppointment(item, by=Appointment.CancelledBy.CLINIC, reason=reason, actor=actor).execute()
        cancelled += 1
    return cancelled
