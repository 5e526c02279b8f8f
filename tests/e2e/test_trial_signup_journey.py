"""A trial signup in the browser (issue 8): the progress page asks to confirm the e-mail
address, nothing is created until the link in the e-mail is used, and then the same
page switches to the live site by itself."""

import re
import uuid

import pytest
from django.core import mail

from tests.e2e.test_signup_journey import created_slugs  # noqa: F401 - the same clean-up of committed clinics

pytestmark = pytest.mark.browser


def test_a_trial_clinic_is_created_once_its_owner_confirms_the_address(created_slugs, browser, live_platform, artifacts):  # noqa: F811
    platform = live_platform
    slug = f"e2e-trial-{uuid.uuid4().hex[:6]}"
    email = f"ana@{slug}.example"
    created_slugs.append(slug)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")  # a phone
    page = context.new_page()
    shot = lambda target, name: target.screenshot(path=str(artifacts / f"trial-{name}.png"), full_page=True)  # noqa: E731

    page.goto(platform + "/alta/?plan=prueba")
    page.get_by_label("Clinic name").fill("Clínica Prueba Gratis")
    page.get_by_label("Web address").fill(slug)
    page.wait_for_selector(".field__live.is-ok")
    page.get_by_label("Country").select_option("ES")
    page.get_by_label("Your name").fill("Ana Prueba")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Phone").fill("+34 600 000 002")
    page.get_by_label(re.compile("I accept")).check()
    page.locator("#signup-form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/alta/[0-9a-f-]+/$"))
    page.wait_for_selector("#status-email:not([hidden])")
    assert f"we have sent a link to {email}" in page.locator("#status-email").inner_text()
    shot(page, "1-check-your-email")
    site = f"http://{slug}.localhost:{platform.rsplit(':', 1)[1]}/"
    probe = context.new_page()
    assert probe.goto(site).status == 404  # no clinic for an unconfirmed address

    [message] = [m for m in mail.outbox if m.to == [email]]
    link = re.search(r"https?://\S+/confirmar/\S+/", message.body).group(0)
    inbox = context.new_page()
    inbox.goto(link)
    shot(inbox, "2-confirm")
    inbox.get_by_role("button", name="Confirm and create my site").click()
    inbox.wait_for_selector("#status-live:not([hidden])", timeout=30_000)

    page.wait_for_selector("#status-live:not([hidden])", timeout=30_000)  # the first tab follows by itself
    shot(page, "3-ready")
    assert page.locator("#site-link").get_attribute("href") == site
    assert probe.goto(site).status == 200
