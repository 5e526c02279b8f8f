"""Issue 8 (trust first), item 7: no superusers in clinic schemas, staff invited by e-mail with
a set-password link, and user pickers in the clinic admin that list staff only."""

import re
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied

from clinic.roles import Role

pytestmark = pytest.mark.django_db

INVITE = {"first_name": "Nueva", "last_name": "Recepcionista", "email": "Nueva.Recepcion@sonrisa.example"}


def login(client, email, password):
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == HTTPStatus.FOUND, response.content[:500]
    return client


def user(clinic, in_clinic, email):
    with in_clinic(clinic):
        return get_user_model().objects.get(email=email)


def group(clinic, in_clinic, role):
    with in_clinic(clinic):
        return Group.objects.get(name=role.value)


@pytest.fixture
def admin_a(client_a, password):
    return login(client_a, "admin@sonrisa.example", password)


# No superusers -----------------------------------------------------------------------------

def test_user_forms_offer_no_superuser_flag_to_a_clinic_admin(admin_a, clinic_a, in_clinic):
    reception = user(clinic_a, in_clinic, "recepcion@sonrisa.example")
    for path in ("/admin/users/new/", f"/admin/users/edit/{reception.pk}/"):
        body = admin_a.get(path).content.decode()
        assert 'name="is_superuser"' not in body, path
        assert 'name="password1"' not in body and 'name="password2"' not in body, path
    invite = admin_a.get("/admin/users/new/").content.decode()
    assert all(f'name="{field}"' in invite for field in ("first_name", "last_name", "email", "role"))


def test_posting_is_superuser_makes_no_superuser(admin_a, clinic_a, in_clinic):
    reception = user(clinic_a, in_clinic, "recepcion@sonrisa.example")
    response = admin_a.post(f"/admin/users/edit/{reception.pk}/", {
        "email": reception.email, "first_name": "Ana", "last_name": "Recepción", "is_active": "on",
        "groups": [group(clinic_a, in_clinic, Role.RECEPTIONIST).pk], "is_superuser": "on",
    })
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    response = admin_a.post("/admin/users/new/", {**INVITE, "role": Role.RECEPTIONIST.value, "is_superuser": "on"})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    with in_clinic(clinic_a):
        assert not get_user_model().objects.filter(is_superuser=True).exists()


def test_clinic_schemas_refuse_superusers(clinic_a, in_clinic):
    with in_clinic(clinic_a):
        with pytest.raises(PermissionDenied):
            get_user_model().objects.create_superuser(email="raiz@sonrisa.example", password="Otra-clave-2026!")
        reception = get_user_model().objects.get(email="recepcion@sonrisa.example")
        reception.is_superuser = True
        with pytest.raises(PermissionDenied):
            reception.save()


def test_the_release_demotes_any_clinic_superuser_made_before(clinic_a, in_clinic):
    """The data migration run in every clinic schema at release (clinic 0005)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("clinic.migrations.0006_trust_no_clinic_superusers")
    with in_clinic(clinic_a):
        get_user_model().objects.filter(email="recepcion@sonrisa.example").update(is_superuser=True)  # as Wagtail's form did
        migration.demote_superusers(apps, None)
        reception = get_user_model().objects.get(email="recepcion@sonrisa.example")
        assert not reception.is_superuser and reception.groups.filter(name=Role.RECEPTIONIST.value).exists()


def test_the_platform_keeps_its_operators(db):
    from portal.tenancy import public_context

    with public_context():
        assert get_user_model().objects.get(email="operador@platform.example").is_superuser


# Invitations -------------------------------------------------------------------------------

def test_invite_sends_one_email_with_a_set_password_link_for_that_clinic_only(
    admin_a, client_b, clinic_a, clinic_b, in_clinic, host_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_a.post("/admin/users/new/", {**INVITE, "role": Role.RECEPTIONIST.value})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    invited = user(clinic_a, in_clinic, "nueva.recepcion@sonrisa.example")
    assert not invited.has_usable_password() and not invited.is_superuser
    with in_clinic(clinic_a):
        assert list(invited.groups.values_list("name", flat=True)) == [Role.RECEPTIONIST.value]
    with in_clinic(clinic_b):
        assert not get_user_model().objects.filter(email="nueva.recepcion@sonrisa.example").exists()

    [message] = mail.outbox
    assert message.to == ["nueva.recepcion@sonrisa.example"]
    assert "Clínica Dental Sonrisa" in message.from_email
    path = re.search(r"https?://sonrisa\.localhost(?::\d+)?(/accounts/password/reset/key/\S+)", message.body).group(1)

    # At another clinic the link is worthless.
    at_b = client_b.get(path, follow=True)
    assert at_b.context.get("token_fail"), "the link must fail at another clinic"

    # At the clinic it sets a password, and the new receptionist signs in to the admin.
    newcomer = host_client(clinic_a.primary_host)
    set_password = newcomer.get(path)
    assert set_password.status_code == HTTPStatus.FOUND
    done = newcomer.post(set_password["Location"], {"password1": "Recepcion-nueva-2026", "password2": "Recepcion-nueva-2026"})
    assert done.status_code == HTTPStatus.FOUND, done.content.decode()[:1500]
    login(newcomer, "nueva.recepcion@sonrisa.example", "Recepcion-nueva-2026")
    assert newcomer.get("/admin/clinic/appointment/").status_code == HTTPStatus.OK


def test_invite_refuses_an_address_that_already_has_an_account(admin_a, clinic_a, in_clinic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_a.post("/admin/users/new/", {**INVITE, "email": "PACIENTE@sonrisa.example", "role": Role.CLINIC_ADMIN.value})
    assert response.status_code == HTTPStatus.OK and "email" in response.context["form"].errors
    assert mail.outbox == []
    assert not user(clinic_a, in_clinic, "paciente@sonrisa.example").groups.exists()


def test_invite_needs_a_known_role(admin_a, clinic_a, in_clinic):
    response = admin_a.post("/admin/users/new/", {**INVITE, "role": "Superusuario"})
    assert response.status_code == HTTPStatus.OK and "role" in response.context["form"].errors
    with in_clinic(clinic_a):
        assert not get_user_model().objects.filter(email__iexact=INVITE["email"]).exists()


def test_staff_keep_a_role_when_edited(admin_a, clinic_a, in_clinic):
    reception = user(clinic_a, in_clinic, "recepcion@sonrisa.example")
    response = admin_a.post(f"/admin/users/edit/{reception.pk}/", {
        "email": reception.email, "first_name": "Ana", "last_name": "Recepción", "is_active": "on",
    })
    assert response.status_code == HTTPStatus.OK and "groups" in response.context["form"].errors
    with in_clinic(clinic_a):
        assert reception.groups.filter(name=Role.RECEPTIONIST.value).exists()


# Staff only in the pickers -----------------------------------------------------------------

def test_users_listing_shows_staff_never_patients(admin_a):
    body = admin_a.get("/admin/users/").content.decode()
    assert "recepcion@sonrisa.example" in body and "lucia.fernandez@sonrisa.example" in body
    assert "paciente@sonrisa.example" not in body
    searched = admin_a.get("/admin/users/?q=paciente").content.decode()
    assert "paciente@sonrisa.example" not in searched


def test_patient_accounts_cannot_be_opened_from_the_users_admin(admin_a, clinic_a, in_clinic):
    patient = user(clinic_a, in_clinic, "paciente@sonrisa.example")
    for path in (f"/admin/users/edit/{patient.pk}/", f"/admin/users/history/{patient.pk}/", f"/admin/users/usage/{patient.pk}/"):
        assert admin_a.get(path).status_code == HTTPStatus.NOT_FOUND, path


def test_bulk_actions_do_not_reach_patients(admin_a, clinic_a, in_clinic):
    patient = user(clinic_a, in_clinic, "paciente@sonrisa.example")
    url = f"/admin/bulk/portal/user/set_active_state/?id={patient.pk}"
    admin_a.post(url, {"mark_as_active": "False"})
    admin_a.post(f"/admin/bulk/portal/user/assign_role/?id={patient.pk}", {"role": group(clinic_a, in_clinic, Role.CLINIC_ADMIN).pk})
    patient = user(clinic_a, in_clinic, "paciente@sonrisa.example")
    assert patient.is_active
    with in_clinic(clinic_a):
        assert not patient.groups.exists()


def test_practitioner_user_choices_are_staff_only(admin_a, clinic_a, in_clinic):
    response = admin_a.get("/admin/clinic/practitioner/new/")
    choices = {str(u.email) for u in response.context["form"].fields["user"].queryset}
    assert "recepcion@sonrisa.example" in choices and "paciente@sonrisa.example" not in choices
    patient = user(clinic_a, in_clinic, "paciente@sonrisa.example")
    response = admin_a.post("/admin/clinic/practitioner/new/", {"user": patient.pk, "title": "Dr.", "sort_order": 0, "active": "on"})
    assert response.status_code == HTTPStatus.OK and "user" in response.context["form"].errors
    with in_clinic(clinic_a):
        from clinic.models import Practitioner

        assert not Practitioner.objects.filter(user=patient).exists()


def test_an_address_taken_between_check_and_save_gets_the_form_again(admin_a, clinic_a, in_clinic, monkeypatch, django_capture_on_commit_callbacks):
    """The service checks again inside its transaction: a race is a form error, not a 500."""
    from clinic.staff_admin import InviteStaffForm

    checked = InviteStaffForm._post_clean

    def then_someone_signs_up(form):  # another request takes the address once the form is checked
        checked(form)
        get_user_model().objects.create_user(email="carrera@correo.example", password="Otra-clave-2026!")

    monkeypatch.setattr(InviteStaffForm, "_post_clean", then_someone_signs_up)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_a.post("/admin/users/new/", {**INVITE, "email": "carrera@correo.example", "role": Role.RECEPTIONIST.value})
    assert response.status_code == HTTPStatus.OK and "email" in response.context["form"].errors
    assert mail.outbox == []
    assert not user(clinic_a, in_clinic, "carrera@correo.example").groups.exists()
