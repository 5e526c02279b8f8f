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
