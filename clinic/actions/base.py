"""The one way clinic data changes: an action owns permission, transaction and audit.

Modelled on Wagtail's own ``wagtail.actions`` (one class per mutation, every caller
goes through it). Each subclass sets ``permission`` and ``log_action`` and writes
``perform()`` (database writes only). ``execute()``:

1. checks the permission on the server (``user_has_permission``; patient actions
   override it with ownership) and raises ``ActionPermissionDenied`` otherwise;
2. runs ``perform()`` in one transaction;
3. writes an audit entry in the clinic's own schema with Wagtail's log (who, what,
   which object, ``log_data()``: before/after where it matters);
4. runs ``after_commit()`` once the transaction commits: e-mails, jobs and Stripe
   calls never run inside it.

``actor=None`` is the system (a job, a webhook) and is logged without a user.
Refusals a person should read are ``ActionError`` with a translated ``message``.
"""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from wagtail.log_actions import log


class ActionError(Exception):
    """A change the clinic's rules refuse; ``message`` is translated, shown to whoever asked."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ActionPermissionDenied(PermissionDenied):
    """The acting user may not do this (checked on the server, whatever the UI showed)."""


class ClinicAction:
    permission = ""  # "clinic.change_appointment"
    log_action = ""  # "clinic.appointment.cancel"; labelled in clinic/actions/log.py

    def __init__(self, *, actor=None):
        self.actor = actor

    # -- permission ---------------------------------------------------------------------
    def user_has_permission(self) -> bool:
        return self.actor is None or (self.actor.is_active and self.actor.has_perm(self.permission))

    def check(self) -> None:
        if not self.user_has_permission():
            raise ActionPermissionDenied(f"{type(self).__name__}: {self.permission or 'ownership'} refused")

    # -- the mutation -------------------------------------------------------------------
    def perform(self):
        """Database writes only; returns the object the action is about."""
        raise NotImplementedError

    def log_data(self, instance) -> dict:
        return {}

    def after_commit(self, instance) -> None:
        """E-mails, jobs, Stripe calls: after the transaction has committed."""

    def execute(self):
        self.check()
        with transaction.atomic():
            instance = self.perform()
            self.write_log(instance)
            transaction.on_commit(partial(self.after_commit, instance))
        return instance

    def write_log(self, instance, action: str | None = None, data: dict | None = None) -> None:
        log(instance=instance, action=action or self.log_action, user=self.log_user, data=self.log_data(instance) if data is None else data)

    @property
    def log_user(self):
        return self.actor if self.actor is not None and self.actor.is_authenticated else None


def when(value) -> str:
    """A datetime for an audit entry: ISO 8601 in the clinic's zone, with its offset."""
    from django.utils import timezone

    from portal.tenancy import clinic_zone

    return timezone.localtime(value, clinic_zone()).isoformat() if value is not None else ""
