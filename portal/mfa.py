"""Two-factor sign-in (allauth.mfa): TOTP and recovery codes, per clinic (issue 12, item 5).

- ``ClinicMFAAdapter`` (``MFA_ADAPTER``): the authenticator app names the clinic (its brand
  name, so it shows "Clínica Dental Sonrisa", not the host), and the set-up QR code is drawn
  as SVG by ``segno`` (pinned for the invoices' QR) instead of allauth's ``qrcode``.
- ``install_webauthn_stub``: allauth imports its WebAuthn module (which needs ``fido2``) from
  the sign-in stage and the code page even when WebAuthn is off; we offer TOTP only and do
  not install ``fido2``, so that module is replaced by one that refuses to be used.
- ``StaffTwoFactorMiddleware``: when the clinic's security setting requires it, staff with no
  authenticator app are sent to set one up before any other page.

Authenticators live in the clinic's schema with its users: one set up at clinic A means
nothing at clinic B, even for the same e-mail address.
"""

import importlib.util
import sys
import types

from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

WEBAUTHN_MODULE = "allauth.mfa.webauthn.internal.auth"


class ClinicMFAAdapter(DefaultMFAAdapter):
    """allauth's MFA adapter for a clinic host: the clinic's name as issuer, segno's SVG."""

    def get_totp_issuer(self) -> str:
        """The clinic's name as its website shows it (BrandSettings), else the clinic's name;
        the host only when neither is known."""
        from allauth.core import context

        from theme.models import BrandSettings

        request = context.request
        if request is not None and getattr(request, "tenant", None) is not None:
            name = BrandSettings.for_request(request).name_for(request)
            if name:
                return name
        return super().get_totp_issuer()

    def build_totp_svg(self, url: str) -> str:
        """The otpauth URI as an inline SVG QR code: no XML declaration, a viewBox instead of a
        size so CSS scales it (theme/static/theme/site.css ``.mfa-qr``)."""
        import segno

        return segno.make(url, error="m").svg_inline(scale=5, border=2, omitsize=True, svgclass="mfa-qr", title=self.get_totp_issuer())


class _Unavailable:
    """What any name of the stand-in module is: importing it works, calling it raises."""

    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise ImproperlyConfigured(f"WebAuthn ({self.name}) is not enabled on this platform (MFA_SUPPORTED_TYPES has no 'webauthn').")


class _DisabledWebAuthn(types.ModuleType):
    """Stands in for allauth's WebAuthn internals when ``fido2`` is not installed. allauth
    imports names from it on every code check (``Authenticator.wrap``) and calls them only
    for WebAuthn rows, which cannot be created here."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Unavailable(name)


def install_webauthn_stub() -> bool:
    """Put the stand-in module in place unless ``fido2`` is installed. Called from
    ``PortalConfig.ready()``, before any URL or sign-in stage imports allauth.mfa's views.
    Returns True when the stand-in was installed. Side effect: ``sys.modules``."""
    from django.conf import settings

    if "webauthn" in getattr(settings, "MFA_SUPPORTED_TYPES", []):
        raise ImproperlyConfigured("MFA_SUPPORTED_TYPES names 'webauthn', which needs fido2 and is not offered.")
    if importlib.util.find_spec("fido2") is not None or WEBAUTHN_MODULE in sys.modules:
        return False
    sys.modules[WEBAUTHN_MODULE] = _DisabledWebAuthn(WEBAUTHN_MODULE)
    return True


def has_totp(user) -> bool:
    """True when ``user`` (of the current schema) has an authenticator app set up."""
    from allauth.mfa.models import Authenticator

    return user.is_authenticated and Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def clinic_requires_staff_mfa(request) -> bool:
    from clinic.models import SecuritySettings

    return SecuritySettings.load(request_or_site=request).require_staff_mfa


class StaffTwoFactorMiddleware:
    """A clinic that requires two-factor sign-in for its staff: a signed-in staff member
    (anyone with access to the clinic admin) who has no authenticator app is sent to set
    one up, with a message, from every page but the few needed to do so (the two-factor
    pages, re-authentication, sign-out, the sign-in itself, static files, the language
    switch). Patients are never sent. Placed after the auth and allauth middleware.
    Costs one query per signed-in request while the setting is off (the setting), three
    while it is on (the setting, then the permission check)."""

    EXEMPT_PATHS = (
        "/accounts/2fa/", "/accounts/reauthenticate/", "/accounts/logout/", "/accounts/login/",
        "/accounts/password/reset/", "/accounts/confirm-email/", "/static/", "/i18n/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up(request):
            messages.warning(request, _("This clinic requires two-factor sign-in for its staff. Set up your authenticator app to continue."))
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    def _must_set_up(self, request) -> bool:
        from tenants.models import Clinic

        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        return (
            getattr(tenant, "kind", None) == Clinic.Kind.CLINIC
            and user is not None
            and user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PATHS)
            and clinic_requires_staff_mfa(request)  # first: one query, where the permission check costs two
            and user.has_perm("wagtailadmin.access_admin")
            and not has_totp(user)
        )
