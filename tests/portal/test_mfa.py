"""Issue 12, item 5: two-factor sign-in (allauth.mfa, TOTP and recovery codes) per clinic.

Codes are computed with allauth's own TOTP helpers from the secret the set-up page shows,
as an authenticator app would.
"""

import re
import time
from html import unescape
from http import HTTPStatus
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.core import mail
from django.contrib.contenttypes.models import ContentType
from wagtail.models import ModelLogEntry

from clinic.models import SecuritySettings
from clinic.roles import Role
from clinic.staff import add_staff_member
from portal.tenancy import clinic_url
from tests.helpers import text

pytestmark = pytest.mark.django_db

ADMIN, RECEPTION, PATIENT = "admin@sonrisa.example", "recepcion@sonrisa.example", "paciente@sonrisa.example"


def code_for(secret, offset=0):
    """The code an authenticator app shows now (``offset`` periods later or earlier)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def confirm_password(client, password):
    """allauth asks for the password again before an authenticator is added
    (MFA_REAUTHENTICATION_REQUIRED), even right after signing in."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == HTTPStatus.FOUND, text(response)[:500]


def user_in(clinic, in_clinic, email):
    with in_clinic(clinic):
        return get_user_model().objects.get(email=email)


def give_totp(clinic, in_clinic, email):
    """``email`` at ``clinic`` with an authenticator app and recovery codes; returns
    (secret, recovery codes)."""
    secret = generate_totp_secret()
    with in_clinic(clinic):
        user = get_user_model().objects.get(email=email)
        TOTP.activate(user, secret)
        codes = RecoveryCodes.activate(user).generate_codes()
    return secret, codes


def require_staff_mfa(clinic, in_clinic, on=True):
    with in_clinic(clinic):
        settings = SecuritySettings.load()
        settings.require_staff_mfa = on
        settings.save()


# SET-UP ---------------------------------------------------------------------------------

def test_set_up_shows_an_svg_qr_naming_the_clinic_then_activates_with_the_right_code(client_a, clinic_a, in_clinic, password):
    assert sign_in(client_a, RECEPTION, password).status_code == HTTPStatus.FOUND
    assert client_a.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    confirm_password(client_a, password)
    page = client_a.get("/accounts/2fa/totp/activate/")
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert re.search(r"<svg[^>]*class=\"mfa-qr\"", html), "the QR code is an inline SVG"
    assert "Configurar el inicio de sesión en dos pasos" in text(page)
    otpauth = unescape(re.search(r'href="(otpauth://totp/[^"]+)"', html).group(1))
    uri = urlparse(otpauth)
    query = parse_qs(uri.query)
    assert query["issuer"] == ["Clínica Dental Sonrisa"]
    assert unquote(uri.path) == f"/{RECEPTION}"
    secret = query["secret"][0]
    assert f'value="{secret}"' in html  # the secret to type by hand

    wrong = client_a.post("/accounts/2fa/totp/activate/", {"code": "000000" if code_for(secret) != "000000" else "111111"})
    assert wrong.status_code == HTTPStatus.OK
    assert "Código incorrecto." in text(wrong)
    with in_clinic(clinic_a):
        assert not Authenticator.objects.filter(user__email=RECEPTION).exists()

    right = client_a.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)})
    assert right.status_code == HTTPStatus.FOUND
    assert right["Location"] == "/accounts/2fa/recovery-codes/"
    with in_clinic(clinic_a):
        types = set(Authenticator.objects.filter(user__email=RECEPTION).values_list("type", flat=True))
        codes = RecoveryCodes(Authenticator.objects.get(user__email=RECEPTION, type="recovery_codes")).get_unused_codes()
    assert types == {"totp", "recovery_codes"}
    shown = client_a.get(right["Location"])
    assert len(codes) == 10
    assert all(code in shown.content.decode() for code in codes)


def test_set_up_code_field_refuses_nul_bytes_and_huge_input_with_a_message(client_a, clinic_a, in_clinic, password):
    sign_in(client_a, RECEPTION, password)
    confirm_password(client_a, password)
    client_a.get("/accounts/2fa/totp/activate/")
    nul = client_a.post("/accounts/2fa/totp/activate/", {"code": "12\x0034"})
    assert nul.status_code == HTTPStatus.OK
    assert "Los caracteres nulos no están permitidos." in text(nul)
    huge = client_a.post("/accounts/2fa/totp/activate/", {"code": "9" * 10_000})
    assert huge.status_code == HTTPStatus.OK
    assert "Código incorrecto." in text(huge)
    with in_clinic(clinic_a):
        assert not Authenticator.objects.filter(user__email=RECEPTION).exists()


# SIGN-IN --------------------------------------------------------------------------------

def test_sign_in_asks_for_the_code_after_the_password(client_a, clinic_a, in_clinic, password):
    secret, _codes = give_totp(clinic_a, in_clinic, RECEPTION)
    after_password = sign_in(client_a, RECEPTION, password)
    assert after_password.status_code == HTTPStatus.FOUND
    assert after_password["Location"] == "/accounts/2fa/authenticate/"
    assert client_a.get("/admin/").status_code == HTTPStatus.FOUND  # not signed in yet
    assert "_auth_user_id" not in client_a.session

    wrong = client_a.post("/accounts/2fa/authenticate/", {"code": "000000" if code_for(secret) != "000000" else "111111"})
    assert wrong.status_code == HTTPStatus.OK
    assert "Código incorrecto." in text(wrong)
    assert "_auth_user_id" not in client_a.session

    right = client_a.post("/accounts/2fa/authenticate/", {"code": code_for(secret)})
    assert right.status_code == HTTPStatus.FOUND
    assert client_a.session["_auth_user_id"] == str(user_in(clinic_a, in_clinic, RECEPTION).pk)
    assert client_a.get("/admin/").status_code == HTTPStatus.OK


def test_a_recovery_code_works_once(client_a, host_client, clinic_a, in_clinic, password):
    _secret, codes = give_totp(clinic_a, in_clinic, PATIENT)
    sign_in(client_a, PATIENT, password)
    used = client_a.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert used.status_code == HTTPStatus.FOUND
    assert "_auth_user_id" in client_a.session

    again = host_client(clinic_a.primary_host)
    sign_in(again, PATIENT, password)
    refused = again.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert refused.status_code == HTTPStatus.OK
    assert "Código incorrecto." in text(refused)
    assert "_auth_user_id" not in again.session
    assert again.post("/accounts/2fa/authenticate/", {"code": codes[1]}).status_code == HTTPStatus.FOUND


def test_the_code_step_is_rate_limited(client_a, clinic_a, in_clinic, password):
    """Five wrong codes for one account (ACCOUNT_RATE_LIMITS "login_failed", 5/5m/key):
    then even the right code is refused for a while."""
    secret, _codes = give_totp(clinic_a, in_clinic, RECEPTION)
    sign_in(client_a, RECEPTION, password)
    wrong = "000000" if code_for(secret) != "000000" else "111111"
    for _attempt in range(5):
        assert "Código incorrecto." in text(client_a.post("/accounts/2fa/authenticate/", {"code": wrong}))
    blocked = client_a.post("/accounts/2fa/authenticate/", {"code": code_for(secret)})
    assert blocked.status_code == HTTPStatus.OK
    assert "Demasiados intentos fallidos. Inténtelo más tarde." in text(blocked)
    assert "_auth_user_id" not in client_a.session


def test_the_code_step_locked_at_clinic_a_is_open_at_clinic_b(client_a, client_b, clinic_a, clinic_b, in_clinic, password):
    """allauth keys the limit by user id, which repeats across clinics; the cache keys carry
    the schema, so a lock at A says nothing about B's account with the same id."""
    secret_a, _codes = give_totp(clinic_a, in_clinic, RECEPTION)
    same_id = user_in(clinic_a, in_clinic, RECEPTION).pk
    with in_clinic(clinic_b):
        User = get_user_model()
        twin = User.objects.filter(pk=same_id).first() or User.objects.create(pk=same_id, email="gemelo@alamos.example")
        twin.set_password(password)
        twin.save()
        if not twin.emailaddress_set.filter(verified=True).exists():
            twin.emailaddress_set.create(email=twin.email, verified=True, primary=True)
        secret_b = generate_totp_secret()
        TOTP.activate(twin, secret_b)
    sign_in(client_a, RECEPTION, password)
    wrong = "000000" if code_for(secret_a) != "000000" else "111111"
    for _attempt in range(6):
        client_a.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert "Demasiados intentos fallidos" in text(client_a.post("/accounts/2fa/authenticate/", {"code": code_for(secret_a)}))

    assert sign_in(client_b, twin.email, password)["Location"] == "/accounts/2fa/authenticate/"
    assert client_b.post("/accounts/2fa/authenticate/", {"code": code_for(secret_b)}).status_code == HTTPStatus.FOUND
    assert client_b.session["_auth_user_id"] == str(same_id)


@pytest.mark.parametrize("code, message", [
    ("12\x0034", "Los caracteres nulos no están permitidos."), ("7" * 10_000, "Código incorrecto."), ("", "Este campo es necesario."),
])
def test_malformed_codes_at_sign_in_are_refused_with_a_message(client_a, clinic_a, in_clinic, password, code, message):
    give_totp(clinic_a, in_clinic, RECEPTION)
    sign_in(client_a, RECEPTION, password)
    response = client_a.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == HTTPStatus.OK
    assert message in text(response)
    assert "_auth_user_id" not in client_a.session


def test_an_authenticator_at_clinic_a_means_nothing_at_clinic_b(client_a, client_b, clinic_a, clinic_b, in_clinic, password):
    """The same e-mail address has an account at both clinics; only A's has two-factor."""
    with in_clinic(clinic_b):
        add_staff_member(email=RECEPTION, role=Role.RECEPTIONIST, password=password)
    secret, _codes = give_totp(clinic_a, in_clinic, RECEPTION)

    at_b = sign_in(client_b, RECEPTION, password)
    assert at_b["Location"] != "/accounts/2fa/authenticate/"
    assert client_b.session["_auth_user_id"] == str(user_in(clinic_b, in_clinic, RECEPTION).pk)
    with in_clinic(clinic_b):
        assert not Authenticator.objects.exists()

    assert sign_in(client_a, RECEPTION, password)["Location"] == "/accounts/2fa/authenticate/"
    assert client_a.post("/accounts/2fa/authenticate/", {"code": code_for(secret)}).status_code == HTTPStatus.FOUND


# THE CLINIC'S SETTING -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/", "/admin/caja/", "/admin/facturas/", "/cuenta/", "/"])
def test_required_setting_sends_staff_without_totp_to_set_up(client_a, clinic_a, in_clinic, password, path):
    require_staff_mfa(clinic_a, in_clinic)
    sign_in(client_a, RECEPTION, password)
    response = client_a.get(path)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    page = client_a.get(response["Location"], follow=True)  # first, their password again
    assert page.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")
    assert page.status_code == HTTPStatus.OK
    assert "Esta clínica exige el inicio de sesión en dos pasos a su personal." in text(page)


def test_required_setting_lets_staff_through_once_set_up(client_a, clinic_a, in_clinic, password):
    require_staff_mfa(clinic_a, in_clinic)
    sign_in(client_a, RECEPTION, password)
    assert client_a.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
    confirm_password(client_a, password)
    client_a.get("/accounts/2fa/totp/activate/")
    secret = client_a.session["mfa.totp.secret"]
    assert client_a.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)}).status_code == HTTPStatus.FOUND
    assert client_a.get("/admin/").status_code == HTTPStatus.OK
    assert client_a.get("/admin/caja/").status_code == HTTPStatus.OK


def test_required_setting_leaves_sign_out_and_the_mfa_pages_reachable(client_a, clinic_a, in_clinic, password):
    require_staff_mfa(clinic_a, in_clinic)
    sign_in(client_a, RECEPTION, password)
    assert client_a.get("/accounts/2fa/").status_code == HTTPStatus.OK
    assert client_a.post("/accounts/logout/").status_code == HTTPStatus.FOUND
    assert "_auth_user_id" not in client_a.session


def test_patients_are_never_forced_and_may_turn_it_on(client_a, clinic_a, in_clinic, password):
    require_staff_mfa(clinic_a, in_clinic)
    sign_in(client_a, PATIENT, password)
    account = client_a.get("/cuenta/")
    assert account.status_code == HTTPStatus.OK
    assert "Inicio de sesión en dos pasos: desactivado" in text(account)
    assert 'href="/accounts/2fa/"' in account.content.decode()
    confirm_password(client_a, password)
    client_a.get("/accounts/2fa/totp/activate/")
    secret = client_a.session["mfa.totp.secret"]
    client_a.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)})
    assert "Inicio de sesión en dos pasos: activado" in text(client_a.get("/cuenta/"))


def test_setting_is_off_by_default_and_the_other_clinic_is_not_affected(client_b, clinic_a, clinic_b, in_clinic, password):
    with in_clinic(clinic_b):
        assert SecuritySettings.load().require_staff_mfa is False
    require_staff_mfa(clinic_a, in_clinic)
    sign_in(client_b, "recepcion@alamos.example", password)
    assert client_b.get("/admin/").status_code == HTTPStatus.OK


def _settings_url():
    return "/admin/settings/clinic/securitysettings/"


def test_only_clinic_admins_may_change_the_setting_and_the_change_is_logged(client_a, host_client, clinic_a, in_clinic, password):
    sign_in(client_a, RECEPTION, password)
    refused = client_a.get(_settings_url(), follow=True)
    assert refused.redirect_chain[-1][0] == "/admin/"  # Wagtail: "Sorry, you do not have permission"
    with in_clinic(clinic_a):
        settings_id = SecuritySettings.load().pk
    assert client_a.post(f"{_settings_url()}{settings_id}/", {"require_staff_mfa": "on"})["Location"] == "/admin/"
    with in_clinic(clinic_a):
        assert SecuritySettings.load().require_staff_mfa is False

    admin = host_client(clinic_a.primary_host)
    sign_in(admin, ADMIN, password)
    page = admin.get(_settings_url(), follow=True)
    assert page.status_code == HTTPStatus.OK
    assert "Inicio de sesión en dos pasos obligatorio para todo el personal" in text(page)
    saved = admin.post(page.redirect_chain[-1][0] if page.redirect_chain else _settings_url(), {"require_staff_mfa": "on"})
    assert saved.status_code == HTTPStatus.FOUND
    with in_clinic(clinic_a):
        assert SecuritySettings.load().require_staff_mfa is True
        entry = ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(SecuritySettings)).latest("timestamp")
        assert entry.action == "wagtail.edit" and entry.user.email == ADMIN
    # The admin saved it without two-factor: from now on they are sent to set it up too.
    assert admin.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"


# STAFF ADMIN ----------------------------------------------------------------------------

def test_staff_list_shows_who_has_two_factor_and_the_account_menu_links_to_it(client_a, clinic_a, in_clinic, password):
    give_totp(clinic_a, in_clinic, RECEPTION)
    sign_in(client_a, ADMIN, password)
    listing = client_a.get("/admin/users/")
    assert listing.status_code == HTTPStatus.OK
    assert "Inicio de sesión en dos pasos" in text(listing)
    rows = {re.search(r'<td class="username">\s*(\S+)', row).group(1): row for row in listing.content.decode().split("<tr")[1:] if '<td class="username">' in row}
    two_factor = {email: re.search(r'<td class="two-factor">(.*?)</td>', row, re.S).group(1) for email, row in rows.items()}
    assert "icon-check" in two_factor[RECEPTION]
    assert "icon-check" not in two_factor[ADMIN]
    account = client_a.get("/admin/account/")
    assert 'href="/accounts/2fa/"' in account.content.decode()


def test_a_clinic_admin_switches_off_a_lost_phone_with_an_audit_entry(client_a, host_client, clinic_a, in_clinic, password, django_capture_on_commit_callbacks):
    give_totp(clinic_a, in_clinic, RECEPTION)
    reception = user_in(clinic_a, in_clinic, RECEPTION)
    admin = user_in(clinic_a, in_clinic, ADMIN)
    sign_in(client_a, ADMIN, password)
    edit = client_a.get(f"/admin/users/edit/{reception.pk}/")
    assert "Desactivar el inicio de sesión en dos pasos (teléfono perdido)" in text(edit)
    own = client_a.get(f"/admin/users/edit/{admin.pk}/")
    assert "teléfono perdido" not in text(own)
    with in_clinic(clinic_a):
        groups = list(reception.groups.values_list("pk", flat=True))
    data = {"email": RECEPTION, "first_name": "Ana", "last_name": "Recepción", "is_active": "on", "groups": groups, "reset_two_factor": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        saved = client_a.post(f"/admin/users/edit/{reception.pk}/", data)
    assert saved.status_code == HTTPStatus.FOUND, text(saved)[:800]
    [message] = mail.outbox
    assert message.to == [RECEPTION]
    assert message.subject == "Inicio de sesión en dos pasos desactivado en Clínica Dental Sonrisa"
    assert "ha desactivado el inicio de sesión en dos pasos de su cuenta en Clínica Dental Sonrisa" in message.body
    assert clinic_url(clinic_a, "/accounts/2fa/") in message.body
    with in_clinic(clinic_a):
        assert not Authenticator.objects.filter(user=reception).exists()
        entry = ModelLogEntry.objects.filter(action="clinic.staff.two_factor_reset").get()
        assert entry.object_id == str(reception.pk) and entry.user_id == admin.pk
        assert entry.data["removed"] == ["recovery_codes", "totp"]

    # Not a way around the clinic's rule: with it on, the person sets up a new phone first.
    require_staff_mfa(clinic_a, in_clinic)
    person = host_client(clinic_a.primary_host)
    assert sign_in(person, RECEPTION, password)["Location"] != "/accounts/2fa/authenticate/"
    assert person.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"


def test_a_receptionist_cannot_switch_off_someone_elses_two_factor(clinic_a, in_clinic):
    from clinic.actions.base import ActionPermissionDenied
    from clinic.actions.team import ResetTwoFactor

    give_totp(clinic_a, in_clinic, ADMIN)
    with in_clinic(clinic_a):
        User = get_user_model()
        reception, admin = User.objects.get(email=RECEPTION), User.objects.get(email=ADMIN)
        with pytest.raises(ActionPermissionDenied):
            ResetTwoFactor(user=admin, actor=reception).execute()
        with pytest.raises(ActionPermissionDenied):
            ResetTwoFactor(user=admin, actor=admin).execute()  # their own: from their own two-factor page
        patient = User.objects.get(email=PATIENT)
        with pytest.raises(ActionPermissionDenied):
            ResetTwoFactor(user=patient, actor=admin).execute()
        assert Authenticator.objects.filter(user=admin).count() == 2


def test_webauthn_is_not_offered():
    from django.urls import NoReverseMatch, reverse

    with pytest.raises(NoReverseMatch):
        reverse("mfa_add_webauthn", urlconf="portal.urls_tenant")
