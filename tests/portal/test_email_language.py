"""Issue 8 item 11: e-mails go out in the recipient's language, and every allauth e-mail
names the clinic ("¡Hola de parte de !" had an empty site name)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from clinic.models import Appointment, Patient, Practitioner, Service
from portal.tasks import enqueue

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "lengua@correo.example", "password1": "Muy-segura-2026!", "password2": "Muy-segura-2026!",
    "first_name": "Lena", "last_name": "Idioma", "phone": "+34 600 222 333", "date_of_birth": "1990-05-17", "privacy_consent": "on",
}


def user(clinic, in_clinic, email):
    with in_clinic(clinic):
        return get_user_model().objects.get(email=email)


def sign_up(client, language, django_capture_on_commit_callbacks):
    client.cookies["django_language"] = language
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == HTTPStatus.FOUND
    [message] = mail.outbox
    return message


def test_an_english_sign_up_stores_english_and_the_verification_names_the_clinic(client_a, clinic_a, in_clinic, django_capture_on_commit_callbacks):
    message = sign_up(client_a, "en", django_capture_on_commit_callbacks)
    assert user(clinic_a, in_clinic, SIGNUP["email"]).language == "en"
    assert "Hello from Clínica Dental Sonrisa!" in message.body
    assert "Thank you for using Clínica Dental Sonrisa!" in message.body
    assert "Hello from !" not in message.body


def test_a_spanish_sign_up_stores_spanish_and_the_verification_names_the_clinic(client_b, clinic_b, in_clinic, django_capture_on_commit_callbacks):
    message = sign_up(client_b, "es", django_capture_on_commit_callbacks)
    assert user(clinic_b, in_clinic, SIGNUP["email"]).language == "es"
    assert "¡Hola de parte de Centro Médico Los Álamos!" in message.body
    assert "alamos.localhost" in message.body


def test_the_language_switcher_stores_the_signed_in_users_language(client_a, clinic_a, in_clinic, password, host_client, django_capture_on_commit_callbacks):
    client_a.post("/accounts/login/", {"login": "paciente@sonrisa.example", "password": password})
    response = client_a.post("/i18n/setlang/", {"language": "en", "next": "/cuenta/"})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/cuenta/"
    assert user(clinic_a, in_clinic, "paciente@sonrisa.example").language == "en"

    # A reset asked for from a Spanish page still reaches this person in English.
    spanish = host_client(clinic_a.primary_host)
    spanish.cookies["django_language"] = "es"
    with django_capture_on_commit_callbacks(execute=True):
        spanish.post("/accounts/password/reset/", {"email": "paciente@sonrisa.example"})
    [message] = mail.outbox
    assert "Password Reset" in message.subject, message.subject
    assert "Hello from Clínica Dental Sonrisa!" in message.body


@pytest.mark.parametrize("language", ["xx", "", "../../etc"])
def test_the_language_switcher_ignores_unknown_languages(client_a, clinic_a, in_clinic, password, language):
    client_a.post("/accounts/login/", {"login": "paciente@sonrisa.example", "password": password})
    response = client_a.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == HTTPStatus.FOUND
    assert user(clinic_a, in_clinic, "paciente@sonrisa.example").language in ("", "es")


def test_an_anonymous_visitor_can_switch_language(client_a):
    response = client_a.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == HTTPStatus.FOUND and response.cookies["django_language"].value == "en"


def book(clinic, in_clinic, *, language: str | None):
    with in_clinic(clinic):
        account = None
        if language is not None:
            account = get_user_model().objects.create_user(email=f"p-{language or 'x'}@correo.example", language=language)
        patient = Patient.objects.create(user=account, first_name="Ana", last_name="Prueba", email=f"p-{language}@correo.example")
        start = timezone.now() + timedelta(days=4)
        return Appointment.objects.create(
            patient=patient, practitioner=Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example"),
            service=Service.objects.get(slug="empaste-obturacion"), start=start, end=start + timedelta(minutes=45), price=70,
        )


@pytest.mark.parametrize(
    "language, subject, greeting",
    [("en", "Appointment confirmed: ", "Hello Ana,"), ("es", "Cita confirmada: ", "Hola, Ana:"), ("", "Cita confirmada: ", "Hola, Ana:"), (None, "Cita confirmada: ", "Hola, Ana:")],
)
def test_appointment_emails_are_written_in_the_patients_language(clinic_a, in_clinic, language, subject, greeting):
    appointment = book(clinic_a, in_clinic, language=language)
    enqueue("clinic.emails.send_appointment_email", schema_name=clinic_a.schema_name, appointment_id=appointment.pk, template="confirmation")
    [message] = mail.outbox
    assert message.subject.startswith(subject) and message.body.startswith(greeting)


def test_the_set_password_email_is_in_the_staff_members_language(clinic_a, in_clinic, django_capture_on_commit_callbacks):
    from portal.accounts import queue_set_password_email

    with in_clinic(clinic_a), django_capture_on_commit_callbacks(execute=True):
        english = get_user_model().objects.create_user(email="english@sonrisa.example", first_name="Jo", language="en")
        queue_set_password_email(user=english, clinic=clinic_a)
    [message] = mail.outbox
    assert message.subject == "Your Clínica Dental Sonrisa site is ready: choose your password"
    [(html, _mimetype)] = message.alternatives
    assert '<html lang="en">' in html and "Choose my password" in html


def test_a_staff_invite_starts_in_spanish(clinic_a, in_clinic):
    from clinic.roles import Role
    from clinic.staff import add_staff_member

    with in_clinic(clinic_a):
        member, created = add_staff_member(email="nueva@sonrisa.example", role=Role.RECEPTIONIST)
    assert created and member.language == "es"


def test_billing_emails_reach_each_admin_in_their_language(clinic_a, in_clinic):
    from clinic.roles import Role
    from clinic.staff import add_staff_member

    with in_clinic(clinic_a):
        get_user_model().objects.filter(email="admin@sonrisa.example").update(language="en")
        add_staff_member(email="jefa@sonrisa.example", role=Role.CLINIC_ADMIN)  # Spanish
    enqueue("billing.emails.send_billing_email", schema_name=clinic_a.schema_name, clinic_id=clinic_a.pk, template="suspended")
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert len(mail.outbox) == 2
    assert by_recipient[("admin@sonrisa.example",)].subject == "Clínica Dental Sonrisa is suspended"
    assert by_recipient[("jefa@sonrisa.example",)].subject != "Clínica Dental Sonrisa is suspended"


def test_demo_seeding_sends_no_set_password_email_to_users_it_gives_a_password(django_capture_on_commit_callbacks, password):
    from tenants.demo import DEMO_CLINICS, seed_clinic

    data = {**DEMO_CLINICS[0], "slug": "demoprueba", "name": "Clínica Demo Prueba"}
    with django_capture_on_commit_callbacks(execute=True):
        result = seed_clinic(data, password)
    assert result["logins"]["Clinic admin"] == "admin@demoprueba.example"
    assert mail.outbox == []


def test_a_clean_seed_demo_run_sends_no_email(monkeypatch, django_capture_on_commit_callbacks, settings):
    from io import StringIO

    from django.core.management import call_command

    from tenants.demo import DEMO_CLINICS
    from tenants.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "DEMO_CLINICS", [{**DEMO_CLINICS[1], "slug": "demolimpia", "name": "Centro Demo Limpio"}])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", stdout=StringIO())
    assert mail.outbox == []


def test_a_staff_members_admin_language_is_the_language_of_their_emails(clinic_a, in_clinic):
    from wagtail.users.models import UserProfile

    with in_clinic(clinic_a):
        staff = get_user_model().objects.get(email="recepcion@sonrisa.example")
        profile = UserProfile.get_for_user(staff)
        profile.preferred_language = "en"
        profile.save()
        staff.refresh_from_db()
    assert staff.language == "en"
