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
