"""Small helpers the clinic tests share (a signed-in client, the next working Tuesday,
a page's text)."""

import re
from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

from django.utils import timezone

MADRID = ZoneInfo("Europe/Madrid")


def login(client, email, password):
    """``client`` signed in through the clinic's real sign-in form."""
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:500]
    return client


def next_tuesday(zone=MADRID):
    """A Tuesday at least two days ahead: inside every demo clinic's hours and notice."""
    today = timezone.localdate(timezone=zone)
    days = (1 - today.weekday()) % 7
    return today + timedelta(days=days if days >= 2 else days + 7)


def text(response):
    """The page's visible words on one line."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
