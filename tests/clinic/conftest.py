"""Shared set-up of the clinic tests."""

import pytest

from clinic.models import InvoicingSettings
from portal.tenancy import clinic_context


@pytest.fixture
def issuer(clinic_a):
    """Clínica Dental Sonrisa's invoicing details filled in (nothing is issued without them)."""
    with clinic_context(clinic_a):
        settings = InvoicingSettings.load()
        settings.legal_name, settings.tax_id, settings.address = "Clínica Dental Sonrisa S.L.", "B12345674", "Calle de Alcalá 120, 28009 Madrid"
        settings.save()
        return settings
