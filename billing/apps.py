from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Stripe payments and clinic subscriptions (public schema).

    ``billing/gateway.py`` will be the only module that imports ``stripe``; the
    webhook endpoint, event log and subscription lifecycle arrive with the signup
    issue.
    """

    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from . import checks  # noqa: F401 - registers the start-up checks
