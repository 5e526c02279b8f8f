from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "clinic.records"
    label = "records"
    verbose_name = _("Clinical records")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic.actions.appointments import appointment_completed

        from .actions import open_visit_for

        def open_visit(sender, appointment, **kwargs):
            open_visit_for(appointment)

        # Completing an appointment opens its visit, in the same transaction.
        appointment_completed.connect(open_visit, dispatch_uid="records_open_visit", weak=False)
