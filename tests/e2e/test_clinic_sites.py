"""Both demo clinics, at phone and desktop widths: own name, own brand colour, no serious
accessibility violations (axe-core), screenshots under tests/artifacts/."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser  # reads pages only: no database access from the test itself

CLINICS = [
    ("sonrisa.localhost", "Clínica Dental Sonrisa", "rgb(15, 118, 110)"),  # #0f766e
    ("alamos.localhost", "Centro Médico Los Álamos", "rgb(29, 78, 216)"),  # #1d4ed8
]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
SERIOUS = {"serious", "critical"}


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_each_clinic_site_shows_its_own_brand_and_is_accessible(browser, live_clinics, artifacts, viewport):
    axe = Axe()
    for host, name, brand_rgb in CLINICS:
        context = browser.new_context(viewport=VIEWPORTS[viewport], locale="es-ES")
        page = context.new_page()
        for path, slug in (("/", "home"), ("/servicios/", "services")):
            response = page.goto(live_clinics.format(host=host) + path)
            assert response.status == 200
            assert page.locator(".brand__name").inner_text() == name
            assert page.title().endswith(name)
            primary = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand-primary').trim()")
            background = page.evaluate("getComputedStyle(document.querySelector('.brand__mark')).backgroundColor")
            assert background == brand_rgb, (host, primary, background)
            other = [n for _, n, _ in CLINICS if n != name][0]
            assert other not in page.content()
            # Nothing wider than the screen on a phone.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            page.screenshot(path=str(artifacts / f"{host.split('.')[0]}-{slug}-{viewport}.png"), full_page=True)
            results = axe.run(page)
            serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
            assert not serious, (host, path, viewport, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious])
        context.close()
