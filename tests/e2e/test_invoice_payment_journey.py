"""A patient with an outstanding invoice clicks "Pagar" beside it in their account, pays
with a test card (localstripe's Stripe.js), and sees the invoice paid and its receipt."""

import re
from decimal import Decimal

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def outstanding_invoice(django_db_blocker):
    """A committed invoice of 85 € to the demo patient, 25 € of it paid at the desk;
    removed again (with what the journey paid) once the browser is closed."""
    from billing.models import StripeEvent
    from clinic.actions.invoices import IssueInvoice, Line
    from clinic.actions.payments import RecordDeskPayment
    from clinic.models import InvoicingSettings, Patient, PatientPayment, PaymentAttempt, Refund
    from portal.tenancy import clinic_context, public_context
    from tenants.models import Clinic
    from tests.clinic.test_invoices_race import purge_invoices

    with django_db_blocker.unblock():
        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            issuer = InvoicingSettings.load()
            issuer.legal_name, issuer.tax_id, issuer.address = "Clínica Dental Sonrisa S.L.", "B12345674", "Calle de Alcalá 120, Madrid"
            issuer.save()
            patient = Patient.objects.get(email="paciente@sonrisa.example")
            invoice = IssueInvoice(patient, lines=[Line("Empaste", Decimal("85.00"))]).execute()
            RecordDeskPayment(patient=patient, invoice=invoice, amount=Decimal("25.00"), method=PatientPayment.Method.CASH).execute()
        yield invoice
        with clinic_context(clinic):
            Refund.objects.filter(payment__invoice__isnull=False).delete()
            PatientPayment.objects.filter(invoice__isnull=False).delete()
            PaymentAttempt.objects.filter(invoice__isnull=False).delete()
            purge_invoices()
            Patient.objects.filter(pk=patient.pk).update(stripe_customer="", saved_card="")
        with public_context():
            StripeEvent.objects.all().delete()


def test_a_patient_pays_an_outstanding_invoice(outstanding_invoice, browser, live_platform, live_clinics, artifacts):
    site = live_clinics.format(host="sonrisa.localhost")
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES").new_page()  # a phone
    shot = lambda name: page.screenshot(path=str(artifacts / f"invoice-{name}.png"), full_page=True)  # noqa: E731

    page.goto(site + "/cuenta/citas/")
    page.get_by_label("Correo electrónico").fill("paciente@sonrisa.example")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile("/cuenta/citas/$"))
    invoices = page.locator("#invoices + ul")
    assert "60,00\u00a0€ pendiente" in invoices.inner_text()
    shot("1-outstanding")
    page.get_by_role("link", name=f"Pagar la factura {outstanding_invoice.full_number}").click()

    page.wait_for_url(re.compile(r"/cuenta/facturas/\d+/pagar/$"))
    assert "60,00" in page.locator("#amount").inner_text()
    for field, value in [("number", "4242424242424242"), ("exp_month", "12"), ("exp_year", "31"), ("cvc", "123"), ("postal_code", "28001")]:
        page.fill(f"#card-element input[placeholder={field}]", value)
    shot("2-pay")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r"/cuenta/citas/(#invoices)?$"))
    for _ in range(20):  # the webhook records it a moment later
        if "Pagada" in page.locator("#invoices + ul").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert "Pagada" in page.locator("#invoices + ul").inner_text()
    shot("3-paid")
    payments = page.locator("#payments + ul")
    assert f"60,00\u00a0€" in payments.inner_text() and f"factura {outstanding_invoice.full_number}" in payments.inner_text()
