"""Found trying make dev on a phone: in the grid of free times, the first time sat higher
than the others of its row (the list's ``li + li`` spacing also applied inside the grid)."""

import pytest

pytestmark = pytest.mark.browser


def test_free_times_in_one_row_are_aligned(browser, live_clinics, artifacts):
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES").new_page()
    page.goto(live_clinics.format(host="sonrisa.localhost") + "/reservar/blanqueamiento-dental/")
    for _ in range(14):
        if page.locator(".slot-grid .slot").count() >= 3:
            break
        page.locator(".day-strip .pill--on + .pill").click()
    page.screenshot(path=str(artifacts / "slot-grid-phone.png"), full_page=True)
    boxes = [page.locator(".slot-grid .slot").nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # one row of three on a phone
    assert {round(box["y"]) for box in boxes} == {round(boxes[0]["y"])}


def test_the_booking_summary_fits_its_card_on_a_phone(browser, live_clinics, artifacts):
    """Found on make dev (390 px, English): on the review step "Blanqueamiento" and "Any
    practitioner" ran past the card's right edge (the label column took its full width)."""
    from datetime import datetime, time, timedelta
    from urllib.parse import quote
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from tests.conftest import DEMO_PASSWORD

    madrid = ZoneInfo("Europe/Madrid")
    today = timezone.localdate(timezone=madrid)
    start = datetime.combine(today + timedelta(days=(1 - today.weekday()) % 7 + 7), time(10), madrid)
    site = live_clinics.format(host="sonrisa.localhost")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": "en", "url": site + "/"}])
    page = context.new_page()
    page.goto(site + "/accounts/login/")
    page.locator("input[name=login]").fill("paciente@sonrisa.example")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{site}/reservar/blanqueamiento-dental/confirmar/?inicio={quote(start.isoformat())}")
    page.screenshot(path=str(artifacts / "review-phone-en.png"), full_page=True)
    card = page.locator(".card:has(.summary-list)").bounding_box()
    for i in range(page.locator(".summary-list dd").count()):
        box = page.locator(".summary-list dd").nth(i).bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"] - 8, page.locator(".summary-list dd").nth(i).inner_text()
    context.close()


def test_the_clinic_site_and_the_platform_log_no_console_errors(browser, live_clinics):
    """Found on make dev: every page of both sites logged a 404 (the browser's /favicon.ico)."""
    page = browser.new_context().new_page()
    errors = []
    page.on("console", lambda message: errors.append((page.url, message.text)) if message.type == "error" else None)
    for host, path in (("sonrisa.localhost", "/"), ("sonrisa.localhost", "/contacto/"), ("localhost", "/"), ("localhost", "/alta/")):
        page.goto(live_clinics.format(host=host) + path)
        page.wait_for_timeout(300)
    assert errors == []
