"""Per-IP rate limits for the platform's public forms (issue 8: 5 trial clinics in 15 s).

allauth's limiter reads allauth's own settings and runs in clinic schemas; the
platform host needs only a counter per IP and fixed window, kept in the (tenant-aware)
cache. The IP and the counter are portal.throttle's, shared with the operators'
sign-in, so one proxy setting serves every limit.
"""

import time

from portal.throttle import client_ip, hit


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
        allowed = hit(key, timeout=seconds + 1) <= count and allowed
    return allowed
