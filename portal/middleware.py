"""Tenant selection by Host, with the host-to-clinic lookup cached in each process.

django-tenants' TenantMainMiddleware looks the host up on every request (one query
plus two ``SET search_path``); STACK-NOTES measured 900 → 2,100 requests/s with the
lookup cached in process. Entries live ``TENANT_HOST_CACHE_SECONDS`` and are dropped
at once in this process when a Clinic or Domain row changes. Other processes learn of
a change through a shared *tenancy version* (one key on the shared cache, replaced on
every such change): each process reads it at most every ``TENANT_STATE_CHECK_SECONDS``
(one query a second with the database cache) and forgets its hosts when it differs,
so a suspension or a new domain reaches every worker within about a second. The Host
header remains the only input (tenancy rule 1).
"""

import secrets
import time

from csp.middleware import CSPMiddleware
from csp.utils import default_config
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_tenants.middleware.main import TenantMainMiddleware

_hosts: dict[str, tuple[object, float]] = {}
# The tenancy version this process last saw, and when to look again.
_seen = {"version": None, "checked": float("-inf")}
TENANCY_VERSION_KEY = "tenancy:version"


def forget_hosts(**kwargs):
    _hosts.clear()


def tenancy_changed() -> None:
    """A Clinic or Domain row changed: forget hosts here now, and tell every other
    process through the shared version (at once and again after the commit, so no
    process re-reads the old row in between). Call it after a bulk ``.update()`` of
    clinics or domains, which sends no signal."""
    from portal.tenancy import public_context

    def publish():
        with public_context():
            cache.set(TENANCY_VERSION_KEY, secrets.token_hex(8), None)
        forget_hosts()

    publish()
    if connection.in_atomic_block:
        transaction.on_commit(publish)


def _check_tenancy_version():
    """At most every TENANT_STATE_CHECK_SECONDS: forget the hosts when the shared version
    moved. Runs on the public schema (the key is the platform's, not a clinic's)."""
    now = time.monotonic()
    if now - _seen["checked"] < settings.TENANT_STATE_CHECK_SECONDS:
        return
    _seen["checked"] = now
    connection.set_schema_to_public()
    version = cache.get(TENANCY_VERSION_KEY)
    if version != _seen["version"]:
        _seen["version"] = version
        forget_hosts()


class TenantMiddleware(TenantMainMiddleware):
    def process_request(self, request):
        ttl = settings.TENANT_HOST_CACHE_SECONDS
        try:
            hostname = self.hostname_from_request(request)
        except Exception:  # DisallowedHost and friends: let the parent answer
            return super().process_request(request)
        if ttl:
            _check_tenancy_version()
        cached = _hosts.get(hostname) if ttl else None
        if cached is None or cached[1] < time.monotonic():
            response = super().process_request(request)
            if response is None and ttl:
                _hosts[hostname] = (request.tenant, time.monotonic() + ttl)
            return response
        tenant = cached[0]
        request.tenant = tenant
        # Switching resets the search path and Django's content-type cache; when the
        # connection already serves this clinic, both are still right.
        if getattr(connection, "tenant", None) is not tenant:
            connection.set_tenant(tenant)
        self.setup_url_routing(request)
        return None


@receiver(post_save, sender="tenants.Clinic", dispatch_uid="portal_forget_hosts_clinic_save")
@receiver(post_delete, sender="tenants.Clinic", dispatch_uid="portal_forget_hosts_clinic_delete")
@receiver(post_save, sender="tenants.Domain", dispatch_uid="portal_forget_hosts_domain_save")
@receiver(post_delete, sender="tenants.Domain", dispatch_uid="portal_forget_hosts_domain_delete")
def _forget_on_change(sender, instance=None, raw=False, **kwargs):
    """Hosts, and the clinic's cached pages (a suspended clinic's pages must not be served;
    a renamed one shows its new name)."""
    from portal.pagecache import clinic_changed

    forget_hosts()
    if raw:
        return
    tenancy_changed()
    schema_name = getattr(instance, "schema_name", None) or getattr(getattr(instance, "tenant", None), "schema_name", None)
    if schema_name:
        clinic_changed(schema_name)


class ClinicStatusMiddleware:
    """Clinic pages in the clinic's time zone; and a suspended or cancelled clinic's public
    and patient pages answer 503 with a notice.

    Staff still reach the admin (and its sign-in) to see the billing notice and pay;
    nothing is deleted. Placed after the session and auth middleware.
    """

    STAFF_PATHS = ("/admin/", "/accounts/login/", "/accounts/logout/", "/accounts/password/", "/static/", "/media/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.shortcuts import render
        from django.utils import timezone

        from tenants.models import Clinic

        tenant = getattr(request, "tenant", None)
        if getattr(tenant, "kind", None) == Clinic.Kind.CLINIC:
            # Every time a clinic page shows is in the clinic's own zone (PRIOR-ART #32).
            timezone.activate(tenant.time_zone)
        else:
            timezone.deactivate()
        if (
            tenant is not None
            and getattr(tenant, "kind", None) == Clinic.Kind.CLINIC
            and tenant.status in (Clinic.Status.SUSPENDED, Clinic.Status.CANCELLED)
            and not request.path.startswith(self.STAFF_PATHS)
        ):
            response = render(request, "theme/unavailable.html", {"clinic": tenant}, status=503)
            response["Retry-After"] = "3600"
            return response
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's header, with the admin's policy under ``/admin/`` (issue 8, item 16).

    ``CONTENT_SECURITY_POLICY`` (no inline code without the request's nonce) serves the
    platform, clinic and patient pages; Wagtail's admin still writes inline scripts and
    styles, so ``CONTENT_SECURITY_POLICY_ADMIN`` allows them there, without a nonce
    (a nonce would make browsers ignore 'unsafe-inline'). Views that set their own
    header keep it (Wagtail's document view sends ``default-src 'none'``).
    """

    ADMIN_PREFIX = "/admin/"

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and request.path_info.startswith(self.ADMIN_PREFIX):
            parts.config = default_config(settings.CONTENT_SECURITY_POLICY_ADMIN["DIRECTIVES"])
            parts.nonce = None
        return parts


class PermissionsPolicyMiddleware:
    """``Permissions-Policy`` on every response, from ``PERMISSIONS_POLICY`` (issue 8, item 16)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in settings.PERMISSIONS_POLICY.items())

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response
