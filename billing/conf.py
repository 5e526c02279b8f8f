"""Billing settings in one place (STYLE.md "App settings in one object per app")."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings


@dataclass(frozen=True)
class Issuer:
    """The platform as the issuer of its invoices (printed on each; its NIF starts the chain)."""

    legal_name: str
    tax_id: str
    address: str

    @property
    def missing(self) -> list[str]:
        """The settings left blank: nothing is invoiced while any is (billing.E001)."""
        names = {"PLATFORM_LEGAL_NAME": self.legal_name, "PLATFORM_TAX_ID": self.tax_id, "PLATFORM_ADDRESS": self.address}
        return [name for name, value in names.items() if not value]


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

    @property
    def platform_issuer(self) -> Issuer:
        return Issuer(
            legal_name=(settings.PLATFORM_LEGAL_NAME or "").strip(), tax_id=(settings.PLATFORM_TAX_ID or "").strip().upper(),
            address=(settings.PLATFORM_ADDRESS or "").strip(),
        )

    @property
    def platform_vat_rate(self) -> Decimal:
        """The VAT % the plans' prices include (``PLATFORM_VAT_RATE``, 21 by default). Raises
        ValueError outside 0–100 (billing.E001 says so at start-up)."""
        try:
            rate = Decimal(str(settings.PLATFORM_VAT_RATE).strip())
        except InvalidOperation:
            rate = Decimal("NaN")
        if not rate.is_finite() or not 0 <= rate <= 100:
            raise ValueError(f"PLATFORM_VAT_RATE must be a number from 0 to 100, not {settings.PLATFORM_VAT_RATE!r}")
        return rate.quantize(Decimal("0.01"))

    @property
    def invoice_prefix(self) -> str:
        return settings.PLATFORM_INVOICE_PREFIX

    @property
    def credit_prefix(self) -> str:
        return settings.PLATFORM_CREDIT_PREFIX

    @property
    def invoice_zone(self) -> ZoneInfo:
        return ZoneInfo(settings.PLATFORM_INVOICE_TIME_ZONE)

    # Stripe's tolerance for a webhook timestamp; older deliveries are refused as replays.
    webhook_tolerance_seconds = 300


billing_settings = BillingSettings()
