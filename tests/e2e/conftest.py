"""Browser journeys: Debian's chromium driven by Playwright against a live server.

The server is Django's LiveServerThread over the session's committed clinics; the
tests read pages only, so they need no transactional database (whose flush would
empty the public schema's tenant tables). Chromium resolves *.localhost to loopback
by itself, so each clinic is reached on its own host name.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread

ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def live_clinics(django_db_setup, django_db_blocker):
    """Base URL template of a running server: ``live_clinics.format(host="sonrisa.localhost")``."""
    with django_db_blocker.unblock():
        thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"http://{{host}}:{thread.port}"
        thread.terminate()


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API runs an event loop in this thread, and Django
    refuses database calls while one runs, so it must be closed before other tests."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_platform(live_clinics, stripe_server, settings):
    """The live server as the platform host (links in pages and e-mails point at it), with
    localstripe delivering its signed webhooks there. Yields the platform's base URL."""
    from portal import devstripe

    port = int(live_clinics.rsplit(":", 1)[1])
    settings.PLATFORM_DOMAIN, settings.PLATFORM_PORT = f"localhost:{port}", port
    stripe_port = int(stripe_server.rsplit(":", 1)[1])
    devstripe.register_webhook(stripe_port, url=f"http://localhost:{port}/stripe/webhook/", secret=settings.STRIPE_WEBHOOK_SECRET)
    yield f"http://localhost:{port}"
    devstripe.register_webhook(stripe_port, url="http://127.0.0.1:9/closed", secret="unused")  # no route to delete one


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
