"""Issue 8, "tests that must exist": clinic isolation over every route of both urlconfs.

The routes are read from the URL resolvers (our views, Wagtail admin, allauth, library
routes), so a new route is covered without editing this file. Every path parameter is
filled with the id of objects that exist only in clinic B (ids far above A's), or a
plausible value. Three walks, GET only:

1. On clinic B's host with the session of each role of clinic A: the session counts for
   nothing (the request is anonymous, protected routes answer a redirect to login, 403 or
   404) and B's private data never appears.
2. On clinic A's host as A's clinic admin, with B-only ids: B's data never appears.
3. On the platform host with clinic A's sessions: anonymous, and the operators' admin
   answers a login redirect.
"""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

pytestmark = pytest.mark.django_db

B_ID = 900_001
MARKER = "Marcador7QB"  # in B's patient, appointment and message: it must never reach A's people
ROLES = {
    "clinic admin": "admin@sonrisa.example",
    "receptionist": "recepcion@sonrisa.example",
    "practitioner": "lucia.fernandez@sonrisa.example",
    "patient": "paciente@sonrisa.example",
}
SKIP_NAMES = (
    "logout",  # GET could end the session the walk is using
    "wagtailadmin_error_test",  # Wagtail's /admin/failwhale/ raises on purpose
)
# Wagtail admin pages anyone may open: the login form and its assets.
PUBLIC_ADMIN_NAMES = ("wagtailadmin_login", "wagtailadmin_sprite", "wagtailadmin_javascript_catalog", "wagtailadmin_password_reset")


def _fill_route(pattern: RoutePattern) -> str:
    def value(match):
        converter = pattern.converters[match["name"]]
        kind, name = type(converter).__name__, match["name"]
        if kind == "IntConverter" or name in ("pk", "id", "object_id") or name.endswith("_id"):
            return str(B_ID)
        if kind == "UUIDConverter":
            return "00000000-0000-4000-8000-000000000001"
        if kind == "SlugConverter":
            return "empaste-obturacion"
        return "x"

    return re.sub(r"<(?:[^>:]+:)?(?P<name>[^>]+)>", value, str(pattern))


REGEX_FILLERS = [f"{B_ID}/", str(B_ID), f"{B_ID}/x/", f"{B_ID}/x", "x/", "x", "", f"{B_ID}-x/", "0-x/"]


def _fill_regex(pattern: RegexPattern) -> str | None:
    """A string the regex matches: its literal text with each group given a B-only id (or
    a plausible word), else one of a few fillers; None when nothing fits."""
    regex = re.compile(str(pattern))
    source = str(pattern).lstrip("^").rstrip("$")
    guesses = [re.sub(r"\((?:\?P<\w+>)?[^()]*\)", value, source).replace("\\", "") for value in (str(B_ID), "x", "auth")]
    for filler in [*guesses, *REGEX_FILLERS]:
        if regex.fullmatch(filler) or regex.fullmatch(filler.rstrip("$")):
            return filler
    return None


def walk(urlconf):
    """(route text, concrete path, url name) for every endpoint; None path when no filler fits."""

    def visit(patterns, chain):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from visit(pattern.url_patterns, chain + [pattern.pattern])
            elif isinstance(pattern, URLPattern):
                yield chain + [pattern.pattern], pattern.name or ""

    seen = set()
    for chain, name in visit(get_resolver(urlconf).url_patterns, []):
        text = "".join(str(p) for p in chain)
        if text in seen or any(skip in name for skip in SKIP_NAMES):
            continue
        seen.add(text)
        pieces = []
        for piece in chain:
            filled = _fill_route(piece) if isinstance(piece, RoutePattern) else _fill_regex(piece)
            if filled is None:
                pieces = None
                break
            pieces.append(filled)
        yield text, ("/" + "".join(pieces)) if pieces is not None else None, name


CLINIC_ROUTES = list(walk("portal.urls_tenant"))
PLATFORM_ROUTES = list(walk("portal.urls_public"))


@pytest.fixture
def b_only_data(clinic_b, in_clinic):
    """A patient, an appointment and a website message that exist only in clinic B, under ids
    A has not reached, each carrying MARKER."""
    from clinic.models import Appointment, ContactMessage, Patient, Practitioner, Service

    with in_clinic(clinic_b):
        patient = Patient.objects.create(pk=B_ID, first_name=MARKER, last_name=f"{MARKER}Apellido", email=f"{MARKER.lower()}@alamos.example")
        service = Service.objects.filter(active=True).first()
        practitioner = Practitioner.objects.active().first()
        start = (timezone.now() + timedelta(days=9)).replace(minute=0, second=0, microsecond=0)
        Appointment.objects.create(
            pk=B_ID, patient=patient, service=service, practitioner=practitioner, start=start, end=start + timedelta(minutes=30),
            price=service.price, cancel_reason=MARKER,
        )
        ContactMessage.objects.create(pk=B_ID, name=MARKER, email=f"{MARKER.lower()}@alamos.example", message=f"{MARKER} secreto")
    return MARKER


def _session_at_a(clinic_a, email, password):
    client = Client(HTTP_HOST=clinic_a.primary_host)
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == HTTPStatus.FOUND, (email, response.status_code)
    return client.cookies


def _get(host, cookies, path):
    """GET on a fresh client inside a savepoint (a failed query must not poison the walk)."""
    client = Client(HTTP_HOST=host, raise_request_exception=False)
    client.cookies.update(cookies)
    savepoint = transaction.savepoint()
    try:
        response = client.get(path)
        user = getattr(getattr(response, "wsgi_request", None), "user", None)
        body = b"" if getattr(response, "streaming", False) else response.content
        return response.status_code, response.get("Location", ""), bool(user and user.is_authenticated), body.decode(errors="replace")
    finally:
        transaction.savepoint_rollback(savepoint)
        connection.set_schema_to_public()


def _protected(text, name):
    return text.startswith(("admin/", "cuenta/")) and not name.startswith(PUBLIC_ADMIN_NAMES)


def test_every_route_is_walked():
    assert len(CLINIC_ROUTES) > 250 and len(PLATFORM_ROUTES) > 50
    unfilled = [text for text, path, _name in CLINIC_ROUTES + PLATFORM_ROUTES if path is None]
    assert unfilled == []


def test_clinic_a_sessions_are_worthless_on_clinic_b(clinic_a, clinic_b, password, b_only_data):
    leaks, failures = [], []
    for role, email in ROLES.items():
        cookies = _session_at_a(clinic_a, email, password)
        for text, path, name in CLINIC_ROUTES:
            if path is None:
                continue
            status, location, authenticated, body = _get(clinic_b.primary_host, cookies, path)
            if authenticated or MARKER in body:
                leaks.append((role, path, status))
            if _protected(text, name) and status == HTTPStatus.OK:
                failures.append((role, path, status))
            if _protected(text, name) and status == HTTPStatus.FOUND and "login" not in location:
                failures.append((role, path, status, location))
    assert leaks == [], f"clinic A's session worked or B's data showed on B's host: {leaks}"
    assert failures == [], f"protected routes on B answered without a login: {failures}"


def test_clinic_a_admin_never_sees_clinic_b_data_by_id(clinic_a, password, b_only_data):
    cookies = _session_at_a(clinic_a, ROLES["clinic admin"], password)
    leaks, errors, walked = [], [], 0
    for _text, path, _name in CLINIC_ROUTES:
        if path is None:
            continue
        status, _location, _authenticated, body = _get(clinic_a.primary_host, cookies, path)
        walked += 1
        if MARKER in body:
            leaks.append((path, status))
        if status >= 500:
            errors.append((path, status))
    assert walked > 250
    assert leaks == [], f"B's data appeared on A's host: {leaks}"
    assert errors == [], f"{len(errors)} routes answered 5xx with ids that exist only in B: {errors}"


def test_clinic_sessions_count_for_nothing_on_the_platform(clinic_a, password):
    for role, email in ROLES.items():
        cookies = _session_at_a(clinic_a, email, password)
        for text, path, _name in PLATFORM_ROUTES:
            if path is None or text.startswith("stripe/"):
                continue
            status, location, authenticated, _body = _get(settings.PLATFORM_HOST, cookies, path)
            assert not authenticated, (role, path)
            if text.startswith("admin/") and "login" not in text and "jsi18n" not in text:
                assert status == HTTPStatus.FOUND and location.startswith("/admin/login/"), (role, path, status, location)
