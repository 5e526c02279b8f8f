"""A patient books a deposit-paid service on a clinic site, pays with a test card
(localstripe's Stripe.js), and sees the confirmation and the receipt."""

import re

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cleanup_appointments(django_db_blocker):
    """What the journey books is committed: remove it again once the browser is closed."""
    yield
    from billing.models import StripeEvent
    from clinic.models import Appointment, Patient, PatientPayment
    from portal.tenancy import clinic_context, public_context
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            PatientPayment.objects.filter(patient__email="paciente@sonrisa.example").delete()
            Appointment.objects.filter(patient__email="paciente@sonrisa.example").delete()
            Patient.objects.filter(email="paciente@sonrisa.example").update(stripe_customer="", saved_card="")
        with public_context():
            StripeEvent.objects.all().delete()


@pytest.fixture
def clinic_site(live_platform, live_clinics):
    return live_clinics.format(host="sonrisa.localhost")


def test_a_patient_books_pays_and_gets_a_receipt(cleanup_appointments, browser, clinic_site, artifacts):
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES").new_page()  # a phone
    shot = lambda name: page.screenshot(path=str(artifacts / f"booking-{name}.png"), full_page=True)  # noqa: E731

    page.goto(clinic_site + "/servicios/")
    page.get_by_role("link", name=re.compile("Reservar Blanqueamiento dental")).click()
    page.get_by_label("Dra. Carmen Ortega Vidal").check()
    page.get_by_role("button", name="Ver horas libres").click()
    # The first day with free times this week.
    for _ in range(7):
        if page.locator(".slot").count():
            break
        page.locator(".day-strip .pill--on + .pill").click()
    shot("1-times")
    page.locator(".slot").first.click()

    page.wait_for_url(re.compile("/accounts/login/"))  # booking while logged out: sign in and come back
    page.get_by_label("Correo electrónico").fill("paciente@sonrisa.example")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile("/confirmar/"))
    assert "50,00" in page.content()  # the deposit
    shot("2-review")
    page.get_by_role("button", name="Confirmar la cita").click()

    page.wait_for_url(re.compile(r"/cuenta/citas/\d+/pagar/$"))
    for field, value in [("number", "4242424242424242"), ("exp_month", "12"), ("exp_year", "31"), ("cvc", "123"), ("postal_code", "28001")]:
        page.fill(f"#card-element input[placeholder={field}]", value)
    shot("3-pay")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r"/cuenta/citas/\d+/$"))
    for _ in range(20):  # the webhook confirms it a moment later
        if "Confirmada" in page.locator("#appointment-status").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert "Confirmada" in page.locator("#appointment-status").inner_text()
    shot("4-confirmed")
    page.get_by_role("link", name=re.compile("Recibo")).click()
    assert "50,00" in page.locator(".receipt").inner_text()
    shot("5-receipt")
