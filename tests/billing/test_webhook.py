"""The Stripe webhook: signature checked before anything is written, each event stored once."""

import time
from http import HTTPStatus

import pytest

from billing.models import StripeEvent

pytestmark = pytest.mark.django_db

EVENT = {"id": "evt_webhook_test", "object": "event", "type": "customer.created", "created": 1_700_000_000, "data": {"object": {"id": "cus_1", "metadata": {}}}}


def test_a_signed_event_is_stored_acknowledged_and_kept_even_if_unknown(deliver_webhook, django_capture_on_commit_callbacks):
    response = deliver_webhook(EVENT)
    assert response.status_code == HTTPStatus.OK
    event = StripeEvent.objects.get(pk="evt_webhook_test")
    assert event.type == "customer.created" and event.processed_at is not None and event.error == ""


@pytest.mark.parametrize(
    "kwargs",
    [
        {"signature": False},  # unsigned
        {"secret": "whsec_someone_else"},  # forged
        {"timestamp": int(time.time()) - 3600},  # stale: a replay
    ],
    ids=["unsigned", "forged", "stale"],
)
def test_bad_signatures_are_refused_and_change_nothing(deliver_webhook, kwargs, caplog):
    response = deliver_webhook(EVENT, **kwargs)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StripeEvent.objects.exists()
    assert "refused Stripe webhook" in caplog.text


def test_a_tampered_body_is_refused(platform_client, deliver_webhook, settings):
    import hashlib
    import hmac
    import json

    timestamp = int(time.time())
    body = json.dumps(EVENT).encode()
    signature = hmac.new(settings.STRIPE_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    tampered = body.replace(b"customer.created", b"payment_intent.succeeded")
    response = platform_client.post("/stripe/webhook/", tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=f"t={timestamp},v1={signature}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StripeEvent.objects.exists()


def test_the_webhook_lives_on_the_platform_host_only(client_a):
    assert client_a.post("/stripe/webhook/", b"{}", content_type="application/json").status_code == HTTPStatus.NOT_FOUND


def test_only_post_is_accepted(platform_client):
    assert platform_client.get("/stripe/webhook/").status_code == HTTPStatus.METHOD_NOT_ALLOWED
