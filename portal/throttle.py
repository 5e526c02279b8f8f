"""Throttling primitives shared by every host: the client's IP and a fixed-window counter.

The operators' sign-in (portal.accounts) and the platform's public forms
(tenants.ratelimit) count failures or requests per IP in the (tenant-aware) cache.
The IP is found the way allauth finds it on clinic hosts
(``ALLAUTH_TRUSTED_PROXY_COUNT`` / ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``), so one proxy
setting serves the limits and the security log everywhere.
"""

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.core.exceptions import PermissionDenied


def client_ip(request) -> str:
    """The client's IP as allauth's rate limits see it; "-" with no request, "unknown"
    when the trusted-proxy settings refuse the request's headers."""
    if request is None:
        return "-"
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return "unknown"


def hit(key: str, *, timeout: int) -> int:
    """Count one more under ``key`` and return the count. The window starts at the first
    hit and lasts ``timeout`` seconds (cache writes only)."""
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1
