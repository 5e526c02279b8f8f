"""Billing settings in one place (STYLE.md "App settings in one object per app")."""

from django.conf import settings


class BillingSettings:
    @property
    def secret_key(self) -> str:
        return settings.STRIPE_SECRET_KEY

    @property
    def publishable_key(self) -> str:
        return settings.STRIPE_PUBLISHABLE_KEY

    @property
    def webhook_secret(self) -> str:
        return settings.STRIPE_WEBHOOK_SECRET

    @property
    def api_base(self) -> str:
        return settings.STRIPE_API_BASE

    @property
    def js_url(self) -> str:
        return settings.STRIPE_JS_URL

    @property
    def grace_days(self) -> int:
        return settings.BILLING_GRACE_DAYS

    @property
    def retry_days(self) -> list[int]:
        return list(settings.BILLING_RETRY_DAYS)

    # Stripe's tolerance for a webhook timestamp; older deliveries are refused as replays.
    webhook_tolerance_seconds = 300


billing_settings = BillingSettings()
