"""Per-IP rate limits for the platform's public forms (issue 8: 5 trial clinics in 15 s).

allauth's limiter reads allauth's own settings and runs in clinic schemas; the
platform host needs only a counter per IP and fixed window, kept in the (tenant-aware)
cache. The client IP is found the way allauth finds it on clinic hosts
(``ALLAUTH_TRUSTED_PROXY_COUNT`` / ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``), so one proxy
setting serves both.
"""

import time

from django.core.cache import cache


def client_ip(request) -> str:
    from allauth.account.adapter import get_adapter
    from django.core.exceptions import PermissionDenied

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return "unknown"


def parse_rates(rates: str) -> list[tuple[int, int]]:
    """``"5/60,20/3600"`` → ``[(5, 60), (20, 3600)]``: at most 5 per minute and 20 per hour."""
    parsed = []
    for part in rates.split(","):
        count, _slash, seconds = part.strip().partition("/")
        parsed.append((int(count), int(seconds)))
    return parsed


def consume(request, *, action: str, rates: str) -> bool:
    """Count one ``action`` by the request's IP. False when any window is over its limit."""
    ip = client_ip(request)
    allowed = True
    now = int(time.time())
    for count, seconds in parse_rates(rates):
        key = f"ratelimit:{action}:{ip}:{seconds}:{now // seconds}"
        cache.add(key, 0, seconds + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, seconds + 1)
            used = 1
        allowed = allowed and used <= count
    return allowed
