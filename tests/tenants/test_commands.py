"""create_clinic and seed_demo: a live clinic from one command, and both safe to re-run."""

import re
from http import HTTPStatus
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from clinic.models import Practitioner, Service
from clinic.roles import Role
from tenants.models import Clinic, Domain
from theme.models import (
    BrandSettings,
    ContactPage,
    HomePage,
    ServiceIndexPage,
    TeamPage,
)

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def new_clinic(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = run("create_clinic", "--name", "Clínica Norte", "--slug", "norte", "--admin-email", "Jefa@Norte.example")
    return Clinic.objects.get(slug="norte"), output


def test_create_clinic_makes_a_live_clinic(new_clinic, in_clinic):
    clinic, output = new_clinic
    assert "http://norte.localhost:8000/" in output
    assert Domain.objects.get(tenant=clinic).domain == "norte.localhost"
    with in_clinic(clinic):
        home = HomePage.objects.get()
        assert {type(p.specific) for p in home.get_children().live()} >= {ServiceIndexPage, TeamPage, ContactPage}
        assert Service.objects.exists()
        assert BrandSettings.for_default_site().display_name == "Clínica Norte"
        admin = get_user_model().objects.get(email="jefa@norte.example")
        assert admin.groups.filter(name=Role.CLINIC_ADMIN.value).exists()
        assert not admin.has_usable_password()
    response = Client(HTTP_HOST="norte.localhost").get("/")
    assert response.status_code == HTTPStatus.OK
    assert "Clínica Norte" in response.content.decode()


def test_create_clinic_emails_a_set_password_link_that_works_only_at_that_clinic(new_clinic, client_a):
    clinic, _ = new_clinic
    [message] = mail.outbox
    assert message.to == ["jefa@norte.example"]
    assert "Clínica Norte" in message.subject
    link = re.search(r"http://norte\.localhost:8000(/accounts/password/reset/key/\S+)", message.body).group(1)
    # At another clinic the same path is a bad token (user ids repeat; the token is bound to the schema).
    elsewhere = client_a.get(link, follow=True)
    assert elsewhere.context["token_fail"] is True
    # At its own clinic it leads to the set-password form, and the new password works.
    own = Client(HTTP_HOST="norte.localhost")
    form = own.get(link, follow=True)
    assert not form.context.get("token_fail")
    assert "password1" in form.context["form"].fields
    response = own.post(form.redirect_chain[-1][0], {"password1": "Una-clave-segura-2026", "password2": "Una-clave-segura-2026"})
    assert response.status_code == HTTPStatus.FOUND
    assert own.post("/accounts/login/", {"login": "jefa@norte.example", "password": "Una-clave-segura-2026"}).status_code == HTTPStatus.FOUND


def test_create_clinic_twice_is_one_clinic_and_one_email(new_clinic, django_capture_on_commit_callbacks):
    clinic, _ = new_clinic
    with django_capture_on_commit_callbacks(execute=True):
        output = run("create_clinic", "--name", "Clínica Norte", "--slug", "norte", "--admin-email", "jefa@norte.example")
    assert "Already existed" in output
    assert Clinic.objects.filter(slug="norte").count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "slug, message",
    # Commands speak the platform's language (LANGUAGE_CODE, Spanish).
    [("www", "reservado"), ("ab", "3 a 30"), ("Mayus", "minúsculas"), ("con_guion_bajo", "minúsculas"), ("-guion", "minúsculas"), ("template", "reservado")],
)
def test_create_clinic_refuses_bad_slugs(slug, message):
    with pytest.raises(CommandError, match=message):
        run("create_clinic", "--name", "X", f"--slug={slug}", "--admin-email", "a@b.example")
    assert not Clinic.objects.filter(slug=slug, kind=Clinic.Kind.CLINIC).exists()


def test_seed_demo_is_idempotent(clinic_a, in_clinic):
    def counts():
        with in_clinic(clinic_a):
            return (
                get_user_model().objects.count(),
                Service.objects.count(),
                Practitioner.objects.count(),
                HomePage.objects.get().get_descendants().count(),
            )

    before = (Clinic.objects.count(), Domain.objects.count(), counts())
    output = run("seed_demo", "--force")
    after = (Clinic.objects.count(), Domain.objects.count(), counts())
    assert before == after
    assert "admin@sonrisa.example" in output and "paciente@alamos.example" in output


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("seed_demo")


def test_create_clinic_refuses_an_address_another_clinic_already_answers_to(clinic_b):
    Domain.objects.create(domain="norte.localhost", tenant=clinic_b, is_primary=False)
    with pytest.raises(CommandError, match="ya está en uso"):
        run("create_clinic", "--name", "Clínica Norte", "--slug", "norte", "--admin-email", "jefa@norte.example")
    assert not Clinic.objects.filter(slug="norte").exists()
