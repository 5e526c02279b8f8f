"""Issue 8, item 13: generated values thrown at every parameter of every public and patient
endpoint never produce a 5xx.

The routes are read from both urlconfs (a new route is covered without editing this file);
path converters get generated values, and each request carries generated query or form
parameters (the names the views read, plus random ones), anonymously and as a signed-in
patient of clinic A, on the clinic's host and on the platform host. Excluded: the admin
sites (walked in tests/tenants/test_operator_admin_walk.py and
tests/portal/test_isolation_walk.py), the Stripe webhook (signature-gated; tests/billing),
and media files (a file server)."""

import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

SKIPPED = ("admin/", "stripe/webhook/", "media/", "static/")

# Parameter names the views read (request.GET/POST), so generated values reach real code.
KNOWN_PARAMS = [
    "servicio", "profesional", "desde", "hasta", "dia", "inicio", "pay_online", "reason", "plan", "slug", "next",
    "login", "password", "password1", "password2", "email", "remember", "first_name", "last_name", "phone",
    "date_of_birth", "national_id", "privacy_consent", "language", "q", "p", "page", "code", "key", "action",
    "clinic_name", "country", "time_zone", "currency", "admin_email", "setup_intent", "saved_card",
]

# Values that have broken parsers before (STACK-NOTES, traps) come first; then anything.
EDGE_VALUES = [
    "", "\x00", "x\x00y", "2026-02-30", "2026-13-01", "9999-12-31", "0001-01-01", "2026-03-10T10:00:00+99:00",
    "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-05:00", "2026-06-01T10:00:00", "-1", "0", "99999999999999999999",
    "1e309", "NaN", "any", "null", "[]", "{}", "%00", "../../etc/passwd", "<script>", "' OR 1=1 --", "😀" * 50,
]
DATE_EDGES = [v for v in EDGE_VALUES if v[:4] in ("2026", "9999", "0001") and v != "2026-06-01T10:00:00"] + ["\x00"]
nasty_text = st.one_of(
    st.sampled_from(DATE_EDGES),
    st.sampled_from(DATE_EDGES),
    st.sampled_from(EDGE_VALUES),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(str),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)
# Plausible values, so that one generated value is not hidden behind another parameter's
# early 404 (a garbage "profesional" would stop the day picker before it reads "dia").
_today = date.today()
PLAUSIBLE = {
    "servicio": [str(i) for i in range(1, 8)], "profesional": ["any", ""], "pay_online": ["0", "1"],
    "desde": [str(_today), str(_today + timedelta(days=3))], "hasta": [str(_today + timedelta(days=7))],
    "dia": [str(_today + timedelta(days=2))], "plan": ["basico", "profesional"], "slug": ["mi-clinica"],
    "inicio": [(datetime.combine(_today + timedelta(days=3), time(10), UTC)).isoformat()],
    "email": ["paciente@sonrisa.example"], "login": ["paciente@sonrisa.example"], "next": ["/cuenta/"],
}


def _names_read_by(callback) -> list[str]:
    """The request parameters a view of ours reads, found in its source (``GET.get("dia")``,
    ``POST["inicio"]``); library views get the common names."""
    import inspect

    view = getattr(callback, "view_class", None) or callback
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return KNOWN_PARAMS
    names = re.findall(r"(?:GET|POST)(?:\.get\(|\[)[\"'](\w+)[\"']", source)
    return sorted(set(names)) or KNOWN_PARAMS


def params_for(names):
    """One parameter the view reads gets a generated (often hostile) value; the others it
    reads get plausible values or are left out, plus a few random names."""
    return st.tuples(
        st.sampled_from(names).flatmap(lambda name: st.tuples(st.just(name), nasty_text)),
        st.fixed_dictionaries({}, optional={name: st.sampled_from(PLAUSIBLE[name]) for name in names if name in PLAUSIBLE}),
        st.dictionaries(st.text(min_size=1, max_size=12), nasty_text, max_size=2),
    ).map(lambda parts: parts[2] | parts[1] | {parts[0][0]: parts[0][1]})


def _converter_values(converter):
    if isinstance(converter, IntConverter):
        return st.one_of(st.integers(min_value=0, max_value=2**70), st.sampled_from([1, 2, 2**31, 2**63])).map(str)
    if isinstance(converter, UUIDConverter):
        return st.uuids().map(str)
    if isinstance(converter, SlugConverter):
        known = st.sampled_from(["empaste-obturacion", "blanqueamiento-dental"])
        return st.one_of(known, known, known, known, known, st.from_regex(r"[-a-zA-Z0-9_]{1,40}", fullmatch=True))
    if isinstance(converter, PathConverter):
        return st.text(min_size=1, max_size=30).map(lambda s: quote(s, safe="/") or "x")
    if isinstance(converter, StringConverter):
        return st.text(min_size=1, max_size=30).map(lambda s: quote(s, safe="") or "x")
    return st.from_regex(converter.regex, fullmatch=True).map(lambda s: quote(s, safe=""))


def _piece(pattern):
    """A strategy for the part of a URL one pattern (or include prefix) matches."""
    if isinstance(pattern, RoutePattern):
        route, parts, last = str(pattern), [], 0
        for match in re.finditer(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>", route):
            parts.append(st.just(route[last:match.start()]))
            parts.append(_converter_values(pattern.converters[match["name"]]))
            last = match.end()
        parts.append(st.just(route[last:]))
        return st.tuples(*parts).map("".join)
    if isinstance(pattern, RegexPattern):
        regex = str(pattern).lstrip("^").rstrip("$") or ""
        return st.from_regex(f"^{regex}$", fullmatch=True).map(lambda s: quote(s, safe="/:-"))
    return st.just(str(pattern))


def routes(urlconf):
    """(route text, strategy for a concrete path, strategy for its parameters, whether the
    view is ours) for every endpoint of ``urlconf``."""

    def walk(patterns, chain):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, chain + [pattern.pattern])
            elif isinstance(pattern, URLPattern):
                yield chain + [pattern.pattern], pattern.callback

    found = {}
    for chain, callback in walk(get_resolver(urlconf).url_patterns, []):
        text = "".join(str(p) for p in chain)
        if text.lstrip("^").startswith(SKIPPED):
            continue
        paths = st.tuples(*[_piece(p) for p in chain]).map(lambda parts: "/" + "".join(parts))
        names = _names_read_by(callback)
        found.setdefault(text, (paths, params_for(names), names is not KNOWN_PARAMS))
    return sorted((text, *rest) for text, rest in found.items())


CLINIC_ROUTES = routes("portal.urls_tenant")
PLATFORM_ROUTES = routes("portal.urls_public")


@pytest.fixture
def patient_cookie(clinic_a, in_clinic, client_a):
    """A signed-in patient's session at clinic A (force_login: no password hashing per example)."""
    from django.contrib.auth import get_user_model

    with in_clinic(clinic_a):
        client_a.force_login(get_user_model().objects.get(email="paciente@sonrisa.example"))
    return client_a.cookies


def _request(host, cookies, method, path, data):
    """One request on a fresh client, inside a savepoint so that a failed query cannot
    poison the requests after it; returns the status."""
    from django.db import connection, transaction
    from django.test import Client

    client = Client(HTTP_HOST=host, raise_request_exception=False)
    if cookies is not None:
        client.cookies.update(cookies)
    savepoint = transaction.savepoint()
    try:
        if method == "GET":
            return client.get(path, data).status_code
        return client.post(path, data).status_code
    finally:
        transaction.savepoint_rollback(savepoint)
        connection.set_schema_to_public()


def _profile(examples):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])


def _cases(own: bool):
    cases = [("clinic", *route) for route in CLINIC_ROUTES] + [("platform", *route) for route in PLATFORM_ROUTES]
    return [case for case in cases if case[4] is own]


def _throw(data, kind, paths, parameters, clinic_a, patient_cookie):
    home, away = (clinic_a.primary_host, django_settings.PLATFORM_HOST)[:: 1 if kind == "clinic" else -1]
    path = data.draw(paths, label="path")
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    signed_in = data.draw(st.sampled_from([True, True, True, False]), label="signed in as clinic A's patient")
    host = data.draw(st.sampled_from([home] * 7 + [away]), label="host")
    status = _request(host, patient_cookie if signed_in else None, method, path, data.draw(parameters, label="params"))
    assert status < 500, f"{method} {host}{path} → {status}"


OWN, LIBRARY = _cases(own=True), _cases(own=False)


@pytest.mark.parametrize("kind,route,paths,parameters,own", OWN, ids=[f"{c[0]}:{c[1]}" for c in OWN])
@_profile(60)
@given(data=st.data())
def test_our_endpoints_never_answer_5xx(kind, route, paths, parameters, own, data, clinic_a, patient_cookie):
    """Views of ours: many examples, each aimed at one parameter the view reads."""
    _throw(data, kind, paths, parameters, clinic_a, patient_cookie)


@pytest.mark.parametrize("kind,route,paths,parameters,own", LIBRARY, ids=[f"{c[0]}:{c[1]}" for c in LIBRARY])
@_profile(8)
@given(data=st.data())
def test_library_endpoints_never_answer_5xx(kind, route, paths, parameters, own, data, clinic_a, patient_cookie):
    """Routes the libraries bring (allauth, Wagtail's serve and password views, set_language)."""
    _throw(data, kind, paths, parameters, clinic_a, patient_cookie)
