"""Session set-up: the platform, the clone template and two seeded clinics, kept between runs.

Creating a schema per test class costs about 9 s (STACK-NOTES "Tests"), so the
clinics are made once, committed, and reused with ``--reuse-db``; every test then
runs inside a transaction that is rolled back. The set-up is idempotent, so a
reused database is simply brought up to date.
"""

import pytest
from django.db import connection
from django.test import Client

from portal.tenancy import clinic_context, public_context

DEMO_PASSWORD = "Test-Password-2026"


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb):
    """pytest-django's set-up, but always for the default database: the browser tests
    carry no django_db mark (their server thread commits), and run alone they would
    otherwise reach the development database."""
    from django.test.utils import setup_databases

    from tenants.demo import DEMO_CLINICS, seed_clinic, seed_operator
    from tenants.services import ensure_platform

    with django_db_blocker.unblock():
        setup_databases(verbosity=0, interactive=False, aliases={"default"}, keepdb=django_db_keepdb and not django_db_createdb)
        assert connection.settings_dict["NAME"].startswith("test_"), "refusing to seed a non-test database"
        ensure_platform()
        seed_operator(DEMO_PASSWORD)
        for data in DEMO_CLINICS:
            seed_clinic(data, DEMO_PASSWORD)


def _clinic(slug):
    from tenants.models import Clinic

    with public_context():
        return Clinic.objects.get(slug=slug)


@pytest.fixture
def clinic_a(db):
    """Clínica Dental Sonrisa (Madrid, EUR)."""
    return _clinic("sonrisa")


@pytest.fixture
def clinic_b(db):
    """Centro Médico Los Álamos (Mexico City, MXN)."""
    return _clinic("alamos")


@pytest.fixture
def host_client():
    """``host_client("sonrisa.localhost")``: a test client whose requests carry that Host."""

    def make(host: str) -> Client:
        return Client(HTTP_HOST=host)

    return make


@pytest.fixture
def client_a(clinic_a, host_client):
    return host_client(clinic_a.primary_host)


@pytest.fixture
def client_b(clinic_b, host_client):
    return host_client(clinic_b.primary_host)


@pytest.fixture
def platform_client(db, host_client, settings):
    return host_client(settings.PLATFORM_HOST)


@pytest.fixture
def in_clinic():
    """``with in_clinic(clinic): ...`` runs ORM code in that clinic's schema."""
    return clinic_context


@pytest.fixture
def password():
    return DEMO_PASSWORD


@pytest.fixture(autouse=True)
def _fresh_tenancy_state():
    """Every test starts on the public schema with no remembered hosts: a request leaves
    the connection on its clinic, and rolled-back test data sends no signals."""
    from django.db import connection

    from portal.middleware import forget_hosts

    forget_hosts()
    connection.set_schema_to_public()
    yield
    forget_hosts()
    connection.set_schema_to_public()


@pytest.fixture(scope="session")
def stripe_server():
    """localstripe on loopback (LOCALSTRIPE_PORT, 8421 in tests), from scratch for this run."""
    from django.conf import settings

    from portal import devstripe

    port = int(settings.STRIPE_API_BASE.rsplit(":", 1)[1])
    process = devstripe.start(port)
    yield settings.STRIPE_API_BASE
    if process is not None:
        process.terminate()
        process.wait(10)


@pytest.fixture
def stripe_api(stripe_server):
    """The stripe library pointed at localstripe, for what a test plays the browser's part in
    (confirming a SetupIntent with a card, as Stripe.js does in the page)."""
    import stripe

    from billing.conf import billing_settings

    stripe.api_key, stripe.api_base = billing_settings.secret_key, billing_settings.api_base
    return stripe


TEST_CARD = "4242424242424242"


def save_card(stripe_api, client_secret: str, number: str = TEST_CARD) -> str:
    """What Stripe.js does in the page: confirm the SetupIntent with the typed card.
    Returns the SetupIntent id the page then sends to our server."""
    card = stripe_api.PaymentMethod.create(type="card", card={"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"})
    return stripe_api.SetupIntent.confirm(client_secret.split("_secret_")[0], payment_method=card.id).id


@pytest.fixture
def deliver_webhook(platform_client, settings):
    """POST an event to /stripe/webhook/ with a real Stripe-Signature header."""
    import hashlib
    import hmac
    import json
    import time

    def deliver(event: dict, *, secret=None, timestamp=None, signature=True):
        body = json.dumps(event).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new((secret or settings.STRIPE_WEBHOOK_SECRET).encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        headers = {"HTTP_STRIPE_SIGNATURE": f"t={timestamp},v1={digest}"} if signature else {}
        return platform_client.post("/stripe/webhook/", body, content_type="application/json", **headers)

    return deliver


@pytest.fixture
def english():
    """Messages of actions called directly (outside a request) in English, to match on."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_page_memos():
    """Each web process remembers per clinic generation what its pages look up
    (portal.pagecache); a test's rolled-back rows leave the committed generation as it
    was, so forget what the previous test's rows made this process remember."""
    from portal.pagecache import forget_memos

    forget_memos()
    yield
    forget_memos()
