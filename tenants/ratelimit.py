"""Per-IP rate limits for the platform's public forms (issue 8: 5 trial clinics in 15 s).

allauth's limiter reads allauth's own settings and runs in clinic schemas; the
platform host needs only a counter per IP and fixed window, kept in the (tenant-aware)
cache. The IP and the counter are portal.throttle's, shared with the operators'
sign-in, so one proxy setting serves every limit.
"""

import time

from django.core.cache import cache

from portal.throttle import client_ip, hit


def parse_rates(rates: str) -> list[tuple[int, int]]:
    """``"5/60,20/3600"`` → ``[(5, 60), (20, 3600)]``: at most 5 per minute and 20 per hour."""
    parsed = []
    for part in rates.split(","):
        count, _slash, seconds = part.strip().partition("/")
        parsed.append((int(count), int(seconds)))
    return parsed


def consume(request, *, action: str, rates: str) -> bool:
    """Count one ``action`` by the request's IP. False when any limit is reached.

    Windows are aligned to the clock, and the previous window's count is added to the
    current one: a burst that straddles a window boundary is still seen whole (with the
    current window alone, 5/60 let 8 posts through in two seconds across a minute mark).
    """
    ip = client_ip(request)
    allowed = True
    now = int(time.time())
    for count, seconds in parse_rates(rates):
        window = now // seconds
        used = hit(f"ratelimit:{action}:{ip}:{seconds}:{window}", timeout=2 * seconds + 1)
        previous = cache.get(f"ratelimit:{action}:{ip}:{seconds}:{window - 1}", 0)
        allowed = used + previous <= count and allowed
    return allowed
