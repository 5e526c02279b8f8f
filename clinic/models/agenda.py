"""The agenda (tenant schema): working hours, time off, appointments and the booking rules.

The database itself refuses two overlapping appointments for one practitioner: an
exclusion constraint over ``occupied`` (the appointment plus the service's buffer).
pgserver has no btree_gist, so the practitioner id is wrapped in a one-value range
(STACK-NOTES "Embedded PostgreSQL").
"""

from datetime import date, timedelta

from django.contrib.postgres.constraints import ExclusionConstraint
from django.core.exceptions import ValidationError
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import ExpressionWrapper, F, Func, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))]


class WorkingHours(models.Model):
    """One stretch of a practitioner's week, in the clinic's time zone. Breaks are the gaps
    between stretches (e.g. Monday 9:00–14:00 and 16:00–20:00)."""

    practitioner = models.ForeignKey("clinic.Practitioner", verbose_name=_("practitioner"), on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["practitioner", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="clinic_workinghours_end_after_start",
                                   violation_error_message=_("A stretch must end after it starts.")),
            # Two stretches of one practitioner's day never overlap. The times become
            # timestamps on a fixed date for tsrange; the ids and weekday are wrapped in
            # one-value ranges because pgserver has no btree_gist.
            ExclusionConstraint(
                name="clinic_workinghours_no_overlap",
                violation_error_message=_("This stretch overlaps another one of the same day."),
                expressions=[
                    (Func(F("practitioner_id"), F("practitioner_id"), Value("[]"), function="int8range"), RangeOperators.EQUAL),
                    (Func(F("weekday"), F("weekday"), Value("[]"), function="int4range"), RangeOperators.EQUAL),
                    # least/greatest: an inverted stretch (refused by the check above) must not
                    # make the range itself an error while Django validates the form.
                    (Func(ExpressionWrapper(Value(date(2000, 1, 3)) + Func(F("start"), F("end"), function="LEAST"), output_field=models.DateTimeField()),
                          ExpressionWrapper(Value(date(2000, 1, 3)) + Func(F("start"), F("end"), function="GREATEST"), output_field=models.DateTimeField()),
                          Value("[)"), function="tsrange"), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class TimeOff(models.Model):
    """A practitioner away (holiday, course), or the whole clinic closed when no practitioner is set."""

    practitioner = models.ForeignKey(
        "clinic.Practitioner", verbose_name=_("practitioner"), null=True, blank=True, on_delete=models.CASCADE, related_name="time_off",
        help_text=_("Leave empty for a clinic holiday."),
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="clinic_timeoff_end_after_start",
                                              violation_error_message=_("The time off must end after it starts."))]

    def __str__(self):
        return self.reason or f"{self.start:%Y-%m-%d}"


class AppointmentQuerySet(models.QuerySet):
    def holding_time(self):
        """Appointments that occupy their practitioner's time (the constraint's condition)."""
        return self.filter(status__in=Appointment.BLOCKING)

    def upcoming_for(self, patient):
        return self.filter(patient=patient, start__gte=timezone.now()).exclude(status=Appointment.Status.CANCELLED).order_by("start")

    def past_for(self, patient):
        return self.filter(patient=patient, start__lt=timezone.now()).order_by("-start")


class InvalidTransition(ValidationError):
    """A status change the appointment's transition table or its timing refuses; the
    message says why, in the user's language."""


class AttendanceVia(models.TextChoices):
    """How the patient confirmed they will come."""

    LINK = "link", _("by the reminder's link")
    PORTAL = "portal", _("in the patient's account")
    PHONE = "phone", _("by phone, recorded by the clinic")


class Appointment(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("awaiting payment")
        CONFIRMED = "confirmed", _("confirmed")
        ARRIVED = "arrived", _("arrived")
        IN_ROOM = "in_room", _("in the room")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        NO_SHOW = "no_show", _("no-show")

    class CancelledBy(models.TextChoices):
        PATIENT = "patient", _("patient")
        CLINIC = "clinic", _("clinic")
        SYSTEM = "system", _("unpaid hold expired")

    AttendanceVia = AttendanceVia

    # Every status but "cancelled" keeps its time: the database constraint below lists the same.
    BLOCKING = (Status.PENDING_PAYMENT, Status.CONFIRMED, Status.ARRIVED, Status.IN_ROOM, Status.COMPLETED, Status.NO_SHOW)

    # The only status changes there are (clinic.actions call ``transition``; nothing else
    # assigns ``status``). "Arrived" only on the appointment's day; "completed" and
    # "no-show" only once its start has passed. Undo moves exist for a mis-click at the desk.
    TRANSITIONS = {
        Status.PENDING_PAYMENT: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.ARRIVED, Status.IN_ROOM, Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED},
        Status.ARRIVED: {Status.IN_ROOM, Status.COMPLETED, Status.CONFIRMED, Status.CANCELLED},
        Status.IN_ROOM: {Status.COMPLETED, Status.ARRIVED},
        Status.NO_SHOW: {Status.ARRIVED, Status.CONFIRMED},
        Status.COMPLETED: set(),
        # Only an unpaid hold the system released comes back: its payment arrived late.
        Status.CANCELLED: {Status.CONFIRMED},
    }
    # Timestamp kept for each status reached (who and when is in the audit log).
    STAMPS = {Status.ARRIVED: "arrived_at", Status.IN_ROOM: "in_room_at", Status.COMPLETED: "completed_at"}

    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey("clinic.Practitioner", verbose_name=_("practitioner"), on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), on_delete=models.PROTECT, related_name="appointments")
    series = models.ForeignKey("clinic.AppointmentSeries", verbose_name=_("series"), null=True, blank=True, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey("clinic.Room", verbose_name=_("room"), null=True, blank=True, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    occupied = DateTimeRangeField(_("occupied"), help_text=_("The appointment plus the service's buffer."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CONFIRMED)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    amount_online = models.DecimalField(_("to pay online"), max_digits=10, decimal_places=2, default=0)
    hold_expires_at = models.DateTimeField(_("held until"), null=True, blank=True)
    cancelled_by = models.CharField(_("cancelled by"), max_length=8, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=255, blank=True)
    rescheduled_from = models.OneToOneField("self", verbose_name=_("rescheduled from"), null=True, blank=True, on_delete=models.SET_NULL, related_name="rescheduled_to")
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    # The patient said they will come (the reminder's link, their account, or a call to the
    # desk); tomorrow's active appointments without it are a notice (clinic.notice_providers).
    patient_confirmed_at = models.DateTimeField(_("patient confirmed"), null=True, blank=True, editable=False)
    patient_confirmed_via = models.CharField(_("confirmed"), max_length=6, choices=AttendanceVia.choices, blank=True, editable=False)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True, editable=False)
    in_room_at = models.DateTimeField(_("in the room at"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    created = models.DateTimeField(_("booked"), default=timezone.now, editable=False)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start"]
        constraints = [
            ExclusionConstraint(
                name="clinic_appointment_no_double_booking",
                expressions=[
                    (Func(F("practitioner_id"), F("practitioner_id"), Value("[]"), function="int8range"), RangeOperators.EQUAL),
                    ("occupied", RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["pending_payment", "confirmed", "arrived", "in_room", "completed", "no_show"]),
            ),
            ExclusionConstraint(  # one appointment at a time in a room, when rooms are used
                name="clinic_appointment_no_double_booked_room",
                expressions=[
                    (Func(F("room_id"), F("room_id"), Value("[]"), function="int8range"), RangeOperators.EQUAL),
                    ("occupied", RangeOperators.OVERLAPS),
                ],
                condition=Q(room__isnull=False, status__in=["pending_payment", "confirmed", "arrived", "in_room", "completed", "no_show"]),
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="clinic_appointment_end_after_start"),
            models.CheckConstraint(condition=Q(price__gte=0, amount_online__gte=0), name="clinic_appointment_amounts_not_negative"),
        ]
        indexes = [models.Index(fields=["practitioner", "start"]), models.Index(fields=["status", "hold_expires_at"]), models.Index(fields=["start"])]
        permissions = [("change_any_appointment", _("Can change every practitioner's appointments"))]

    def __str__(self):
        from portal.tenancy import clinic_zone

        return f"{self.service} · {self.patient} · {timezone.localtime(self.start, clinic_zone()):%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        buffer = timedelta(minutes=self.service.buffer_minutes)
        self.occupied = DateTimeTZRange(self.start, self.end + buffer, "[)")
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        """Still to happen: the patient may cancel or move it (within the clinic's window)."""
        return self.status in (self.Status.PENDING_PAYMENT, self.Status.CONFIRMED)

    def refusal(self, to: str, *, now=None) -> str:
        """Why this appointment cannot move to status ``to`` now, or "" when it can."""
        from portal.tenancy import clinic_zone

        now = now or timezone.now()
        to = self.Status(to)
        revival = self.status == self.Status.CANCELLED and self.cancelled_by != self.CancelledBy.SYSTEM
        if to not in self.TRANSITIONS[self.Status(self.status)] or revival:
            return _("An appointment that is “%(current)s” cannot become “%(new)s”.") % {
                "current": self.get_status_display(), "new": to.label}
        if to == self.Status.ARRIVED:
            zone = clinic_zone()
            if timezone.localdate(self.start, zone) != timezone.localdate(now, zone):
                return _("A patient can only be checked in on the day of the appointment.")
        if to in (self.Status.COMPLETED, self.Status.NO_SHOW) and self.start > now:
            return _("An appointment can only be marked “%(new)s” once its start time has passed.") % {"new": to.label}
        return ""

    def transition(self, to: str, *, now=None) -> list[str]:
        """Move to status ``to`` by the transition table, or raise InvalidTransition.
        Sets the status and its timestamp on this instance (not saved); returns the
        changed field names for ``save(update_fields=...)``."""
        refusal = self.refusal(to, now=now)
        if refusal:
            raise InvalidTransition(refusal)
        self.status = self.Status(to)
        changed = ["status"]
        if stamp := self.STAMPS.get(self.status):
            setattr(self, stamp, now or timezone.now())
            changed.append(stamp)
        return changed



@register_setting(icon="date")
class BookingSettings(BaseGenericSetting):
    """How far ahead and how late patients may book, cancel and reschedule online."""

    min_notice_hours = models.PositiveSmallIntegerField(_("minimum notice (hours)"), default=2)
    horizon_days = models.PositiveSmallIntegerField(_("booking horizon (days)"), default=60)
    slot_step_minutes = models.PositiveSmallIntegerField(_("slot step (minutes)"), default=15, help_text=_("Start times are offered every this many minutes."))
    hold_minutes = models.PositiveSmallIntegerField(_("unpaid hold (minutes)"), default=15, help_text=_("How long an unpaid online booking keeps its time."))
    cancellation_window_hours = models.PositiveSmallIntegerField(
        _("cancellation window (hours)"), default=24, help_text=_("Patients may cancel or reschedule online until this many hours before; online payments are then refunded.")
    )

    class Meta:
        verbose_name = _("booking rules")
        constraints = [
            models.CheckConstraint(condition=Q(slot_step_minutes__gte=5, horizon_days__gte=1, horizon_days__lte=365, hold_minutes__gte=1), name="clinic_bookingsettings_sane"),
        ]
