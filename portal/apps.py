from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Accounts")

    def ready(self):
        from . import accounts, checks, middleware, signals  # noqa: F401  (failed sign-in log, settings checks, host-cache invalidation, job-worker schema reset)
