"""Issue 8 (trust first), items 5 and 6: e-mail confirmation links are bound to their clinic,
and there is one throttled, verification-enforcing sign-in per host."""

import logging
import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "enlace@correo.example", "password1": "Muy-segura-2026!", "password2": "Muy-segura-2026!",
    "first_name": "Enlace", "last_name": "Cruzado", "phone": "+34 600 222 333", "date_of_birth": "1990-05-17", "privacy_consent": "on",
}


def signup_and_get_link(client, capture):
    with capture(execute=True):
        assert client.post("/accounts/signup/", SIGNUP).status_code == HTTPStatus.FOUND
    [message] = mail.outbox
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", message.body).group(1)


def unverified_twin_at(clinic, in_clinic, address_pk):
    """An unverified account at ``clinic`` whose e-mail row has the same id as the one at the
    other clinic (row ids repeat across schemas)."""
    with in_clinic(clinic):
        user = get_user_model().objects.create_user(email="victima@alamos-correo.example", password="Otra-clave-2026!")
        EmailAddress.objects.create(pk=address_pk, user=user, email=user.email, verified=False, primary=True)
        return user


# Item 5 ----------------------------------------------------------------------------------

def test_confirmation_link_from_one_clinic_verifies_nothing_at_another(
    client_a, client_b, clinic_a, clinic_b, in_clinic, django_capture_on_commit_callbacks
):
    """Today allauth signs only the address's row id with the shared SECRET_KEY: clinic A's link,
    opened on clinic B's host, verified B's address with the same id and showed it."""
    link = signup_and_get_link(client_a, django_capture_on_commit_callbacks)
    with in_clinic(clinic_a):
        address_a = EmailAddress.objects.get(email=SIGNUP["email"])
    unverified_twin_at(clinic_b, in_clinic, address_a.pk)

    shown = client_b.get(link)
    assert "victima@alamos-correo.example" not in shown.content.decode()
    posted = client_b.post(link)
    assert posted.status_code == HTTPStatus.NOT_FOUND
    with in_clinic(clinic_b):
        assert not EmailAddress.objects.get(pk=address_a.pk).verified

    # At its own clinic the same link works.
    client_a.post(link)
    with in_clinic(clinic_a):
        assert EmailAddress.objects.get(pk=address_a.pk).verified


def test_confirmation_keys_are_not_signatures_of_row_ids(client_a, clinic_a, in_clinic, django_capture_on_commit_callbacks):
    """No value signed with the shared SECRET_KEY: the key is random and stored in the clinic's
    own schema, so it means nothing anywhere else."""
    from django.core import signing

    link = signup_and_get_link(client_a, django_capture_on_commit_callbacks)
    key = link.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(signing.BadSignature):
        signing.loads(key, salt="account")


def test_flash_messages_are_kept_in_the_session_not_in_a_signed_cookie(client_a, password, settings):
    """The messages cookie is signed with the shared SECRET_KEY: one clinic's cookie would be
    accepted at another. Messages live in the (per-schema) session instead."""
    client_a.post("/accounts/login/", {"login": "paciente@sonrisa.example", "password": password})
    assert "messages" not in client_a.cookies or not client_a.cookies["messages"].value
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.session.SessionStorage"


# Item 6 ----------------------------------------------------------------------------------

WRONG = "not-the-password"


def signed_in(client):
    return "_auth_user_id" in client.session


def test_wagtail_login_is_not_a_second_unthrottled_door(client_a, password):
    """Today /admin/login/ (Wagtail's own view) has no rate limit: 30 wrong passwords, then
    the right one, signed in."""
    for _ in range(30):
        client_a.post("/admin/login/", {"username": "admin@sonrisa.example", "password": WRONG})
    response = client_a.post("/admin/login/", {"username": "admin@sonrisa.example", "password": password})
    assert not signed_in(client_a)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path, target", [
    ("/admin/login/", "/accounts/login/?next=/admin/"),
    ("/admin/login/?next=/admin/pages/", "/accounts/login/?next=/admin/pages/"),
    ("/_util/login/?next=/privada/", "/accounts/login/?next=/privada/"),
    ("/admin/password_reset/", "/accounts/password/reset/"),
    ("/admin/password_reset/confirm/MQ/abc-123/", "/accounts/password/reset/"),
])
def test_every_library_sign_in_route_leads_to_the_clinic_sign_in(client_a, path, target):
    response = client_a.get(path)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == target


def test_staff_are_locked_out_by_allauth_after_repeated_failures(client_a, password):
    for _ in range(6):
        client_a.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": WRONG})
    response = client_a.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    assert response.status_code == HTTPStatus.OK and response.context["form"].errors
    assert not signed_in(client_a)
    client_a.post("/admin/login/", {"username": "admin@sonrisa.example", "password": password})
    assert not signed_in(client_a)
    assert client_a.get("/admin/").status_code == HTTPStatus.FOUND


def test_staff_sign_in_through_allauth_land_in_the_admin(client_a, password):
    response = client_a.post("/accounts/login/?next=/admin/", {"login": "admin@sonrisa.example", "password": password, "next": "/admin/"})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/admin/"
    assert client_a.get("/admin/").status_code == HTTPStatus.OK


@pytest.mark.parametrize("path, field", [("/accounts/login/", "login"), ("/admin/login/", "username"), ("/_util/login/", "username")])
def test_an_unverified_patient_gets_no_session_by_any_route(client_a, clinic_a, in_clinic, path, field):
    with in_clinic(clinic_a):
        user = get_user_model().objects.create_user(email="sin-verificar@correo.example", password="Otra-clave-2026!")
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client_a.post(path, {field: user.email, "password": "Otra-clave-2026!"})
    assert not signed_in(client_a)
    assert client_a.get("/cuenta/").status_code == HTTPStatus.FOUND


def test_failed_clinic_sign_ins_are_logged_with_the_ip(host_client, clinic_a, caplog):
    client = host_client(clinic_a.primary_host)
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        client.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": WRONG}, REMOTE_ADDR="203.0.113.7")
    [record] = [r for r in caplog.records if r.name == "portal.security"]
    assert "203.0.113.7" in record.getMessage() and "admin@sonrisa.example" in record.getMessage()
    assert "clinic_sonrisa" in record.getMessage()


def operator_post(client, password, *, ip="198.51.100.20", email="operador@platform.example"):
    return client.post("/admin/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_operator_login_refuses_the_right_password_after_repeated_failures(platform_client, password, settings):
    limit = settings.OPERATOR_LOGIN_FAILURES["account"]
    assert limit <= 5  # the same as allauth's per-account limit, or stricter
    for _ in range(limit):
        operator_post(platform_client, WRONG)
    response = operator_post(platform_client, password)
    assert response.status_code == HTTPStatus.OK
    # The operators' admin speaks the platform's default language, Spanish.
    assert "Demasiados intentos fallidos de inicio de sesión" in response.content.decode()
    assert not signed_in(platform_client)
    assert platform_client.get("/admin/tenants/clinic/").status_code == HTTPStatus.FOUND


def test_operator_login_is_throttled_per_ip_across_accounts(platform_client, password, settings):
    for i in range(settings.OPERATOR_LOGIN_FAILURES["ip"]):
        operator_post(platform_client, WRONG, email=f"nadie{i}@platform.example")
    operator_post(platform_client, password)
    assert not signed_in(platform_client)
    # Another address is not blocked by that IP's failures.
    response = operator_post(platform_client, password, ip="198.51.100.99")
    assert response.status_code == HTTPStatus.FOUND and signed_in(platform_client)


def test_operator_login_below_the_limit_still_works(platform_client, password, settings):
    for _ in range(settings.OPERATOR_LOGIN_FAILURES["account"] - 1):
        operator_post(platform_client, WRONG)
    assert operator_post(platform_client, password).status_code == HTTPStatus.FOUND


def test_operator_login_failures_are_logged_with_the_ip(platform_client, password, settings, caplog):
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        for _ in range(settings.OPERATOR_LOGIN_FAILURES["account"] + 1):
            operator_post(platform_client, WRONG, ip="198.51.100.20")
    messages = [r.getMessage() for r in caplog.records if r.name == "portal.security"]
    assert len(messages) == settings.OPERATOR_LOGIN_FAILURES["account"] + 1  # each failure, then the refusal
    assert all("198.51.100.20" in m and "operador@platform.example" in m for m in messages)
    assert "too many" in messages[-1].lower()


def _routes(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _routes(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_library_login_or_password_reset_view_is_reachable_on_a_clinic_host():
    """Walk the clinic URLconf: every route to a Django/Wagtail login or password-reset view
    (whatever a library upgrade adds) must be shadowed by the clinic's one sign-in."""
    from django.contrib.auth import views as auth_views
    from django.urls import Resolver404, get_resolver, resolve

    doors = (auth_views.LoginView, auth_views.PasswordResetView, auth_views.PasswordResetConfirmView,
             auth_views.PasswordResetDoneView, auth_views.PasswordResetCompleteView)
    found = []
    for route, callback in _routes(get_resolver("portal.urls_tenant")):
        view_class = getattr(callback, "view_class", None)
        if view_class and issubclass(view_class, doors) and not view_class.__module__.startswith("allauth"):
            path = "/" + re.sub(r"<[^>]+>", "x", route).lstrip("^").rstrip("$")
            found.append(path)
            try:
                reached = resolve(path, urlconf="portal.urls_tenant").func
            except Resolver404:
                continue
            assert getattr(reached, "view_class", None) is not view_class, f"{path} reaches {view_class.__name__}"
    assert "/admin/login/" in found and "/_util/login/" in found
