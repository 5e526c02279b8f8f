"""Issue 11: a treatment plan in a real browser. The dentist builds a three-item plan by
clicking teeth on the odontogram and presents it; the patient, on a phone, accepts it in
the portal and pays its first instalment online (localstripe's Stripe.js, the signed
webhook to the live server); the receptionist issues the instalment's invoice, opens its
PDF and closes the day's cash. Screenshots in tests/artifacts/plan-*.png."""

import re
from decimal import Decimal

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def plan_world(django_db_blocker):
    """Committed set-up: the dental clinic's invoicing details; everything the journey
    writes (plan, estimate, payment, invoice, cash close) is removed again afterwards."""
    from clinic.models import CashClose, InvoicingSettings, Patient
    from portal.tenancy import clinic_context, public_context
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            issuer = InvoicingSettings.load()
            issuer.legal_name, issuer.tax_id, issuer.address = "Clínica Dental Sonrisa S.L.", "B12345674", "Calle de Alcalá 120, 28009 Madrid"
            issuer.save()
            patient = Patient.objects.get(email="paciente@sonrisa.example")
            clean(patient)
            CashClose.objects.all().delete()
    yield {"clinic": clinic, "patient_pk": patient.pk}
    with django_db_blocker.unblock():
        from billing.models import StripeEvent

        with clinic_context(clinic):
            from wagtail.models import ModelLogEntry

            clean(patient)
            CashClose.objects.all().delete()
            ModelLogEntry.objects.filter(action="clinic.cash.close").delete()  # test data: the journey's own close
        with public_context():
            StripeEvent.objects.all().delete()


def clean(patient):
    from django.db import connection

    from clinic.models import Patient, PatientPayment, PaymentAttempt, Refund
    from tests.clinic.test_instalment_payments import purge_plans_of
    from tests.clinic.test_invoices_race import purge_invoices

    Refund.objects.filter(payment__patient=patient).delete()
    PatientPayment.objects.filter(patient=patient).delete()
    PaymentAttempt.objects.filter(instalment__estimate__plan__patient=patient).delete()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    purge_invoices()
    purge_plans_of(patient)
    Patient.objects.filter(pk=patient.pk).update(stripe_customer="", saved_card="")


def sign_in(browser, site, email, *, next_url, viewport=(1280, 900)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="es-ES", extra_http_headers={"Accept-Language": "es"})
    page = context.new_page()
    page.goto(site + f"/accounts/login/?next={next_url}")
    page.fill("#id_login", email)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    return page


def in_db(django_db_blocker, clinic, fn):
    """``fn()`` inside the clinic, on a thread of its own: Playwright's event loop runs in
    this one, and Django refuses database calls there."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from portal.tenancy import clinic_context

    def run():
        try:
            with django_db_blocker.unblock(), clinic_context(clinic):
                return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_a_plan_from_the_odontogram_to_the_cash_close(plan_world, browser, live_platform, live_clinics, artifacts, django_db_blocker):
    from clinic.models import CashClose, Estimate, Invoice, PatientPayment, PlanItem, TreatmentPlan

    db = lambda fn: in_db(django_db_blocker, plan_world["clinic"], fn)  # noqa: E731

    site = live_clinics.format(host="sonrisa.localhost")
    shot = lambda page, name: page.screenshot(path=str(artifacts / f"plan-{name}.png"), full_page=True)  # noqa: E731

    # 1. The dentist builds the plan on the odontogram and presents it.
    dentist = sign_in(browser, site, "lucia.fernandez@sonrisa.example", next_url=f"/admin/pacientes/{plan_world['patient_pk']}/planes/nuevo/")
    dentist.fill("#id_title", "Rehabilitación superior")
    dentist.get_by_role("button", name="Guardar").click()
    dentist.wait_for_url(re.compile(r"/admin/pacientes/plan/\d+/$"))
    for tooth, surface, service, phase in (("16", "O", "Empaste (obturación)", "1"), ("26", "D", "Empaste (obturación)", "1"),
                                            ("36", None, "Endodoncia", "2")):
        target = f'#plan-chart polygon[data-tooth="{tooth}"][data-surface="{surface}"]' if surface else f'#plan-chart text[data-tooth="{tooth}"]'
        dentist.click(target)
        assert dentist.input_value("#id_tooth") == tooth
        if surface:
            assert dentist.is_checked(f'#plan-item-form input[name="surfaces"][value="{surface}"]')
        dentist.select_option("#id_service", label=service)
        dentist.fill("#id_phase", phase)
        dentist.click("#plan-item-add")
        dentist.wait_for_load_state()
    assert dentist.locator(".plan-item").count() == 3
    dentist.select_option("#id_schedule", "phases")
    shot(dentist, "1-built")
    dentist.click("#plan-present")
    dentist.wait_for_load_state()
    assert "presentado" in dentist.content()
    shot(dentist, "2-presented")
    plan = db(lambda: TreatmentPlan.objects.get(patient_id=plan_world["patient_pk"]))
    estimate = db(lambda: plan.estimates.get())
    assert db(lambda: [(i.tooth, i.surfaces) for i in plan.items.order_by("phase", "position")]) == [("16", "O"), ("26", "D"), ("36", "")]
    first = db(lambda: estimate.instalments.get(sequence=1))  # phase 1: two fillings
    assert first.amount == Decimal("140.00")

    # 2. The patient accepts it on a phone and pays the first instalment.
    patient = sign_in(browser, site, "paciente@sonrisa.example", next_url="/cuenta/presupuestos/", viewport=(390, 844))
    patient.get_by_role("link", name="Rehabilitación superior").click()
    assert "360,00" in patient.locator(".estimate-total").inner_text()  # 70 + 70 + 220
    patient.check("#id_agree")
    patient.fill("#id_name", "Pablo Paciente Demo")
    shot(patient, "3-accept")
    patient.click("#estimate-accept")
    patient.wait_for_load_state()
    assert "Aceptado por Pablo Paciente Demo" in patient.content()
    patient.click("#pay-instalment-1")
    patient.wait_for_url(re.compile(r"/pagar/$"))
    assert "140,00" in patient.content()
    for field, value in [("number", "4242424242424242"), ("exp_month", "12"), ("exp_year", "31"), ("cvc", "123"), ("postal_code", "28001")]:
        patient.fill(f"#card-element input[placeholder={field}]", value)
    shot(patient, "4-pay")
    patient.locator("#pay-button").click()
    patient.wait_for_url(re.compile(rf"/cuenta/presupuestos/{estimate.pk}/$"))
    for _ in range(20):  # the webhook records it a moment later
        if "pagado" in patient.locator(".estimate-instalments, ol").first.inner_text():
            break
        patient.wait_for_timeout(500)
        patient.reload()
    shot(patient, "5-paid")
    assert db(lambda: Estimate.objects.get(pk=estimate.pk).accepted_via) == Estimate.Via.PORTAL
    [payment] = db(lambda: list(PatientPayment.objects.filter(instalment=first)))
    assert (payment.amount, payment.method) == (Decimal("140.00"), PatientPayment.Method.ONLINE)

    # 3. The receptionist invoices the instalment, opens the PDF and closes the day's cash.
    desk = sign_in(browser, site, "recepcion@sonrisa.example", next_url=f"/admin/pacientes/plan/{plan.pk}/")
    assert "pagado" in desk.locator("#instalments").locator("xpath=..").inner_text()
    desk.get_by_role("button", name="Emitir factura").first.click()
    desk.wait_for_url(re.compile(r"/admin/facturas/\d+/$"))
    shot(desk, "6-invoice")
    invoice = db(lambda: Invoice.objects.get(instalment=first))
    assert invoice.total == Decimal("140.00") and invoice.patient_id == plan_world["patient_pk"]
    # The PDF as the browser gets it (the page's own fetch: Playwright's request API does not resolve *.localhost).
    kind, head = desk.evaluate("""async (url) => { const r = await fetch(url); const bytes = new Uint8Array(await r.arrayBuffer());
                                  return [r.headers.get("content-type"), String.fromCharCode(...bytes.slice(0, 5))]; }""",
                               f"/admin/facturas/{invoice.pk}/pdf/")
    assert (kind, head) == ("application/pdf", "%PDF-")
    desk.goto(site + "/admin/caja/")
    for method in ("cash", "card", "transfer"):
        if desk.locator(f"#contado_{method}").count():
            desk.fill(f"#contado_{method}", "0,00")
    desk.get_by_role("button", name="Cerrar la caja del día").click()
    desk.wait_for_load_state()
    shot(desk, "7-cash-closed")
    assert db(lambda: CashClose.objects.count()) == 3
    assert db(lambda: PlanItem.objects.filter(plan=plan).count()) == 3
