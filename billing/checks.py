"""Start-up checks of billing's settings."""

from django.core.checks import Error, register


@register()
def check_platform_issuer(app_configs, **kwargs):
    """The platform invoices every paid plan: with its legal name, NIF or address blank (or a
    VAT rate that is not a percentage) it would issue invoices no one may issue, so the
    project refuses to start instead (production.py also requires the variables)."""
    from .conf import billing_settings

    errors = []
    missing = billing_settings.platform_issuer.missing
    if missing:
        errors.append(Error(
            f"{', '.join(missing)} must be set: the platform's invoices to clinics name their issuer.",
            hint="Set the platform's legal name, Spanish NIF and fiscal address in the environment (README, Configuration).", id="billing.E001",
        ))
    try:
        billing_settings.platform_vat_rate
    except ValueError as error:
        errors.append(Error(str(error), id="billing.E002"))
    return errors
