"""The Content-Security-Policy breaks nothing (issue 8, item 16): Chromium reports no
violation on the platform's pages, a clinic's pages, the patient's pages and the pages
of Wagtail's admin a clinic's staff use every day. The payment journeys themselves run
under the same policy in test_signup_journey.py and test_booking_journey.py."""

import re

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile || document.URL}:${e.lineNumber}`);
});
"""


def walk(page, base, paths):
    violations = []
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert response.headers.get("content-security-policy"), path
        page.wait_for_load_state("networkidle")
        violations += [f"{path}: {v}" for v in page.evaluate("window.__csp")]
    return violations


def new_page(browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES").new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def test_platform_and_clinic_pages_run_without_violations(browser, live_platform, live_clinics):
    page = new_page(browser)
    violations = walk(page, live_platform, ["/", "/precios/", "/alta/"])
    clinic = live_clinics.format(host="sonrisa.localhost")
    violations += walk(page, clinic, ["/", "/servicios/", "/reservar/", "/accounts/login/", "/accounts/signup/"])
    page.get_by_label("Correo electrónico").first  # the sign-in form is there
    page.goto(clinic + "/accounts/login/")
    page.get_by_label("Correo electrónico").fill("paciente@sonrisa.example")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile("/cuenta/"))
    violations += walk(page, clinic, ["/cuenta/", "/cuenta/citas/", "/cuenta/perfil/"])
    # The brand colours come from the nonce'd inline <style>.
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand-primary').trim()") == "#0f766e"
    assert violations == []


def test_the_staff_admin_runs_without_violations(browser, live_clinics):
    page = new_page(browser)
    clinic = live_clinics.format(host="sonrisa.localhost")
    page.goto(clinic + "/accounts/login/?next=/admin/")
    page.get_by_label("Correo electrónico").fill("admin@sonrisa.example")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile("/admin/$"))
    violations = walk(page, clinic, ["/admin/", "/admin/pages/", "/admin/documents/", "/admin/documents/multiple/add/", "/admin/images/", "/admin/clinic/service/"])
    page.goto(clinic + "/admin/pages/")
    page.locator("a[href*='/admin/pages/'][href$='/edit/']").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("form#page-edit-form").count() == 1
    # The side panels: preview (an iframe of the page) and the accessibility checks.
    toggles = page.locator("[data-side-panel-toggle]").all()
    assert {t.get_attribute("data-side-panel-toggle") for t in toggles} >= {"preview", "checks"}
    for toggle in toggles:
        toggle.click()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)
    violations += [f"page editor: {v}" for v in page.evaluate("window.__csp")]
    assert violations == []
