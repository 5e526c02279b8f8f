"""Issue 8 (trust first), items 5 and 6: e-mail confirmation links are bound to their clinic,
and there is one throttled, verification-enforcing sign-in per host."""

import logging
import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import translation

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
