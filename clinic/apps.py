from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class ClinicConfig(AppConfig):
    # This module holds two AppConfigs (ClinicUsersAppConfig below), so Django would
    # otherwise use a plain AppConfig for "clinic" and never run ready(): the roles'
    # post_migrate step was silently not connected (found in issue 11).
    default = True
    name = "clinic"
    verbose_name = _("Clinic")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401  (staff profiles in the clinic's time zone)
        from .roles import sync_roles_after_migrate

        # Roles defined in code reach every existing clinic at release (migrate_schemas).
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="clinic_sync_roles")


class ClinicUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's users app with the clinic's Users pages: staff only, invited by e-mail, no
    superuser flag (clinic/staff_admin.py). Wagtail's documented way to customise them."""

    user_viewset = "clinic.staff_admin.StaffUserViewSet"
