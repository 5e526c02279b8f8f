from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Staff reports: queries, Wagtail admin pages and server-drawn SVG charts. No models:
    everything is read from clinic (and, once merged, clinic.inventory)."""

    name = "clinic.reports"
    label = "reports"
    verbose_name = _("Reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import definitions  # noqa: F401 — the reports register themselves
