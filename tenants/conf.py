"""Signup and provisioning settings in one place (STYLE.md "App settings in one object per app").

Each reads ``TENANTS_<NAME>`` from Django settings, with the default beside it.
"""

from django.conf import settings


class TenantsSettings:
    def _get(self, name, default):
        return getattr(settings, f"TENANTS_{name}", default)

    @property
    def signup_hold_minutes(self) -> int:
        """How long an unpaid (or unconfirmed) signup holds its address (issue 8: 30 minutes)."""
        return self._get("SIGNUP_HOLD_MINUTES", 30)

    @property
    def max_open_signups(self) -> int:
        """Unpaid signups one e-mail address, or one IP, may hold at once."""
        return self._get("MAX_OPEN_SIGNUPS", 3)

    @property
    def signup_rate(self) -> str:
        """Signup form posts per IP: ``count/seconds`` windows, comma-separated."""
        return self._get("SIGNUP_RATE", "5/60,20/3600")

    @property
    def slug_check_rate(self) -> str:
        """Address checks (as the user types) per IP."""
        return self._get("SLUG_CHECK_RATE", "60/60,600/3600")

    @property
    def provisioning_grace_seconds(self) -> int:
        """How long a paid signup may wait for its own provisioning job before the sweep
        queues another (long enough not to race the first: a clone takes about a second)."""
        return self._get("PROVISIONING_GRACE_SECONDS", 120)

    @property
    def provisioning_max_attempts(self) -> int:
        """Attempts (job, sweep) before a signup is left failed for an operator."""
        return self._get("PROVISIONING_MAX_ATTEMPTS", 5)

    @property
    def provisioning_backoff_seconds(self) -> list[int]:
        """Wait before the sweep retries a failed attempt: the n-th failure waits the n-th value."""
        return list(self._get("PROVISIONING_BACKOFF_SECONDS", [60, 300, 900, 3600]))


tenants_settings = TenantsSettings()
