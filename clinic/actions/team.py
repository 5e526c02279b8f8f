"""Team actions: what a clinic admin changes about a staff member's rights."""

from django.contrib.auth.models import Permission

from .base import ClinicAction


class SetEveryAppointment(ClinicAction):
    """Give or take away one person's right to change every practitioner's appointments
    (practitioners otherwise change only their own). Audited on the user; only
    written when it changes."""

    permission = "portal.change_user"
    log_action = "clinic.staff.every_appointment"

    def __init__(self, *, user, allowed: bool, actor=None):
        super().__init__(actor=actor)
        self.user, self.allowed = user, bool(allowed)

    def execute(self):
        has = self.user.user_permissions.filter(codename="change_any_appointment", content_type__app_label="clinic").exists()
        if has == self.allowed:
            return self.user
        return super().execute()

    def perform(self):
        permission = Permission.objects.get(codename="change_any_appointment", content_type__app_label="clinic")
        if self.allowed:
            self.user.user_permissions.add(permission)
        else:
            self.user.user_permissions.remove(permission)
        return self.user

    def log_data(self, instance):
        return {"every_appointment": self.allowed, "email": instance.email}


class ResetTwoFactor(ClinicAction):
    """A clinic admin switches off a staff member's two-factor sign-in because they lost
    their phone: their authenticator app and recovery codes are deleted, and the change is
    audited on the user (who did it, to whom).

    Not a way around the clinic's rule: if the clinic requires two-factor sign-in, the
    person is sent to set up a new authenticator app at their next page. Only a clinic
    admin may do it, only to another staff member (their own is switched off from their
    own two-factor page).

    Side effects: the person's ``Authenticator`` rows deleted, one audit entry, and one
    e-mail to the person once the transaction commits (so a reset they did not ask for
    does not go unnoticed).
    """

    permission = "portal.change_user"
    log_action = "clinic.staff.two_factor_reset"

    def __init__(self, *, user, actor):
        super().__init__(actor=actor)
        self.user = user

    def user_has_permission(self) -> bool:
        from ..roles import is_clinic_admin, staff_users

        return (
            self.actor is not None and self.actor.is_authenticated and is_clinic_admin(self.actor)
            and self.actor.pk != self.user.pk and staff_users().filter(pk=self.user.pk).exists()
        )

    def perform(self):
        from allauth.mfa.models import Authenticator

        self.removed = sorted(Authenticator.objects.filter(user_id=self.user.pk).values_list("type", flat=True))
        Authenticator.objects.filter(user_id=self.user.pk).delete()
        return self.user

    def log_data(self, instance):
        return {"email": instance.email, "removed": self.removed}

    def after_commit(self, instance):
        from django.db import connection

        from portal.accounts import queue_two_factor_reset_email

        queue_two_factor_reset_email(user=instance, clinic=connection.tenant, reset_by=self.actor)


class SetWeeklyHours(ClinicAction):
    """Replace a practitioner's weekly hours with ``stretches`` ({weekday: [(start, end), …]})
    in one transaction; refused with a clear message when a stretch ends before it starts
    or two overlap on one day (the database refuses overlaps too). Audited with the week
    before and after."""

    permission = "clinic.change_workinghours"
    log_action = "clinic.team.hours"

    def __init__(self, *, practitioner, stretches: dict, actor=None):
        super().__init__(actor=actor)
        self.practitioner, self.stretches = practitioner, {int(day): sorted(spans) for day, spans in stretches.items()}

    @staticmethod
    def problems(stretches: dict) -> dict:
        """{weekday: message} for the days that cannot be saved."""
        from django.utils.translation import gettext as _

        found = {}
        for day, spans in stretches.items():
            for start, end in spans:
                if end <= start:
                    found[day] = _("A stretch must end after it starts (%(start)s–%(end)s).") % {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
                    break
            else:
                ordered = sorted(spans)
                for (s1, e1), (s2, e2) in zip(ordered, ordered[1:]):
                    if s2 < e1:
                        found[day] = _("Two stretches overlap (%(first)s and %(second)s).") % {
                            "first": f"{s1:%H:%M}–{e1:%H:%M}", "second": f"{s2:%H:%M}–{e2:%H:%M}"}
                        break
        return found

    def perform(self):
        from ..models import Practitioner, WorkingHours
        from .base import ActionError

        problems = self.problems(self.stretches)
        if problems:
            raise ActionError(" ".join(problems.values()))
        practitioner = Practitioner.objects.select_for_update().get(pk=self.practitioner.pk)
        self.before = _week(practitioner)
        WorkingHours.objects.filter(practitioner=practitioner).delete()
        WorkingHours.objects.bulk_create(
            WorkingHours(practitioner=practitioner, weekday=day, start=start, end=end) for day, spans in self.stretches.items() for start, end in spans
        )
        return practitioner

    def log_data(self, instance):
        return {"before": self.before, "after": _week(instance)}


def _week(practitioner) -> dict:
    week = {}
    for h in practitioner.working_hours.order_by("weekday", "start"):
        week.setdefault(str(h.weekday), []).append(f"{h.start:%H:%M}-{h.end:%H:%M}")
    return week


class AddTimeOff(ClinicAction):
    """A practitioner away (or, without one, the whole clinic closed) between two instants."""

    permission = "clinic.add_timeoff"
    log_action = "clinic.team.time_off"

    def __init__(self, *, practitioner=None, start, end, reason="", actor=None):
        super().__init__(actor=actor)
        self.practitioner, self.start, self.end, self.reason = practitioner, start, end, (reason or "").replace("\x00", "")[:120]

    def perform(self):
        from django.utils.translation import gettext as _

        from ..models import TimeOff
        from .base import ActionError

        if self.end <= self.start:
            raise ActionError(_("The time off must end after it starts."))
        return TimeOff.objects.create(practitioner=self.practitioner, start=self.start, end=self.end, reason=self.reason)

    def log_data(self, instance):
        return time_off_data(instance)


def time_off_data(row) -> dict:
    """What the audit log keeps of a time-off row (added or removed)."""
    from .base import when

    return {"practitioner": str(row.practitioner or ""), "start": when(row.start), "end": when(row.end), "reason": row.reason}


class RemoveTimeOff(ClinicAction):
    """Take back time off that has not ended yet (what is past stays as it was). The
    audit entry is written on the row before it goes."""

    permission = "clinic.delete_timeoff"
    log_action = "clinic.team.time_off_removed"

    def __init__(self, *, time_off, actor=None):
        super().__init__(actor=actor)
        self.time_off = time_off

    def perform(self):
        from django.utils import timezone
        from django.utils.translation import gettext as _

        from .base import ActionError

        if self.time_off.end <= timezone.now():
            raise ActionError(_("Time off that is over cannot be removed."))
        super().write_log(self.time_off, data=time_off_data(self.time_off))
        self.time_off.delete()
        return self.time_off

    def write_log(self, instance, action=None, data=None):
        """Already written in perform(), while the row still had its id."""
