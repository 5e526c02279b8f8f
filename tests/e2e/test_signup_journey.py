"""From the pricing page through payment (localstripe's Stripe.js, a test card) to the
clinic's live site, with localstripe delivering the signed webhook to the live server."""

import re
import uuid

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def created_slugs(django_db_blocker):
    """Clinics this journey creates are committed: drop them again once the browser is closed."""
    slugs = []
    yield slugs
    from billing.models import Payment, StripeEvent, Subscription
    from portal.tenancy import public_context
    from tenants.models import Clinic, Signup
    from tests.helpers import purge_platform_invoices

    with django_db_blocker.unblock(), public_context():
        for slug in slugs:
            purge_platform_invoices(Payment.objects.filter(signup__slug=slug))
            Payment.objects.filter(signup__slug=slug).delete()
            Subscription.objects.filter(clinic__slug=slug).delete()
            clinics = list(Clinic.objects.filter(slug=slug))
            Signup.objects.filter(slug=slug).delete()
            for clinic in clinics:
                clinic.delete(force_drop=True)
        StripeEvent.objects.all().delete()


def test_a_clinic_signs_up_pays_and_lands_on_its_live_site(created_slugs, browser, live_platform, artifacts):
    platform = live_platform
    slug = f"e2e-{uuid.uuid4().hex[:8]}"
    created_slugs.append(slug)
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES").new_page()
    shot = lambda name: page.screenshot(path=str(artifacts / f"signup-{name}.png"), full_page=True)  # noqa: E731

    page.goto(platform + "/precios/")
    shot("1-pricing")
    page.get_by_role("link", name=re.compile("Mensual")).click()
    page.get_by_label("Nombre de la clínica").fill("Clínica Prueba E2E")
    page.get_by_label("Dirección web").fill(slug)
    page.wait_for_selector(".field__live.is-ok")  # checked as the user types
    page.get_by_label("País").select_option("ES")
    page.get_by_label("Tu nombre").fill("Laura Prueba")
    page.get_by_label("Correo electrónico").fill(f"laura@{slug}.example")
    page.get_by_label("Teléfono").fill("+34 600 000 001")
    page.get_by_label(re.compile("Acepto")).check()
    shot("2-form")
    page.get_by_role("button", name=re.compile("pago")).click()

    page.wait_for_url(re.compile(r"/alta/.+/pago/$"))
    assert "49,00" in page.locator("#amount").inner_text()
    page.fill("#card-element input[placeholder=number]", "4242424242424242")
    page.fill("#card-element input[placeholder=exp_month]", "12")
    page.fill("#card-element input[placeholder=exp_year]", "31")
    page.fill("#card-element input[placeholder=cvc]", "123")
    page.fill("#card-element input[placeholder=postal_code]", "28001")
    shot("3-payment")
    page.locator("#pay-button").click()

    page.wait_for_url(re.compile(r"/alta/[0-9a-f-]+/$"))
    page.wait_for_selector("#status-live:not([hidden])", timeout=30_000)
    shot("4-ready")
    site = page.locator("#site-link").get_attribute("href")
    assert site == f"http://{slug}.localhost:{platform.rsplit(':', 1)[1]}/"
    page.locator("#site-link").click()
    page.wait_for_load_state()
    assert page.locator(".brand__name").inner_text() == "Clínica Prueba E2E"
    shot("5-live-site")
