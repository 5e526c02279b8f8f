from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Accounts")

    def ready(self):
        from .mfa import install_webauthn_stub

        install_webauthn_stub()  # before anything imports allauth.mfa's views (no fido2: TOTP only)
        from . import accounts, checks, middleware, pagecache, signals  # noqa: F401  (failed sign-in log, settings checks, host-cache invalidation, job-worker schema reset)

        pagecache._connect()

        # Apps listed after us register admin classes as Django's AdminConfig.ready() runs
        # autodiscover, after this ready(): discover now (autodiscover is idempotent, a module
        # is imported once) so the clinic-only models can be taken out of the operators' admin.
        from django.contrib import admin

        from .admin import unregister_clinic_only_models

        admin.autodiscover()
        unregister_clinic_only_models()
