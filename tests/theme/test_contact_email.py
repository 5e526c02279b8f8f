"""Issue 8 item 12: a contact message is e-mailed whatever its name holds, and plain-text
e-mails show names as typed, never as HTML entities."""

from http import HTTPStatus

import pytest
from django.core import mail

from clinic.models import ContactMessage
from portal.tasks import enqueue

pytestmark = pytest.mark.django_db

TYPED = "O'Brien & <Hijos>"


def run_job(clinic, contact):
    enqueue("clinic.tasks.email_contact_message", schema_name=clinic.schema_name, message_id=contact.pk)


def test_a_name_with_a_line_break_is_emailed_once_with_the_name_in_the_body(clinic_a, in_clinic):
    """The job raised BadHeaderError on every attempt: the name went into the subject."""
    with in_clinic(clinic_a):
        contact = ContactMessage.objects.create(name="Ana\nPérez", email="ana@correo.example", message="¿Abren el sábado?")
    run_job(clinic_a, contact)
    run_job(clinic_a, contact)  # a retry sends nothing more
    [message] = mail.outbox
    assert "\n" not in message.subject and "Ana Pérez" in message.subject
    assert "Ana\nPérez" in message.body
    assert message.reply_to == ["ana@correo.example"]
    with in_clinic(clinic_a):
        contact.refresh_from_db()
    assert contact.emailed_at is not None


def test_the_contact_form_with_a_line_break_in_the_name_reaches_the_clinic(client_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post("/contacto/", {"name": "Ana\r\nPérez", "email": "ana@correo.example", "message": "Hola"})
    assert response.status_code == HTTPStatus.FOUND
    [message] = mail.outbox
    assert message.to == ["hola@sonrisa.example"] and "Ana Pérez" in message.subject


def test_plain_text_shows_names_as_typed(clinic_a, in_clinic):
    with in_clinic(clinic_a):
        contact = ContactMessage.objects.create(name=TYPED, email="obrien@correo.example", message="Tom & Jerry <3")
    run_job(clinic_a, contact)
    [message] = mail.outbox
    assert f"{TYPED}" in message.body and "Tom & Jerry <3" in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body and "&lt;" not in message.body
    assert TYPED in message.subject


def test_appointment_emails_show_the_patients_name_as_typed(clinic_a, in_clinic):
    from datetime import timedelta

    from django.utils import timezone

    from clinic.models import Appointment, Patient, Practitioner, Service

    with in_clinic(clinic_a):
        patient = Patient.objects.create(first_name=TYPED, last_name="Prueba", email="obrien@correo.example")
        start = timezone.now() + timedelta(days=4)
        appointment = Appointment.objects.create(
            patient=patient, practitioner=Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example"),
            service=Service.objects.get(slug="empaste-obturacion"), start=start, end=start + timedelta(minutes=45), price=70,
        )
    enqueue("clinic.emails.send_appointment_email", schema_name=clinic_a.schema_name, appointment_id=appointment.pk, template="confirmation")
    [message] = mail.outbox
    assert TYPED in message.body and "&#x27;" not in message.body


def test_the_set_password_email_shows_the_name_as_typed_in_text_and_escaped_in_html(clinic_a, in_clinic, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    from portal.accounts import queue_set_password_email

    with in_clinic(clinic_a), django_capture_on_commit_callbacks(execute=True):
        user = get_user_model().objects.create_user(email="obrien@sonrisa.example", first_name=TYPED)
        queue_set_password_email(user=user, clinic=clinic_a)
    [message] = mail.outbox
    assert TYPED in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "O&#x27;Brien &amp; &lt;Hijos&gt;" in html and TYPED not in html


def test_billing_and_welcome_emails_show_the_clinic_name_as_typed(clinic_a, django_capture_on_commit_callbacks):
    from tenants.models import Clinic, Signup
    from tenants.services import queue_welcome_email

    Clinic.objects.filter(pk=clinic_a.pk).update(name=TYPED)
    enqueue("billing.emails.send_billing_email", schema_name=clinic_a.schema_name, clinic_id=clinic_a.pk, template="suspended")
    [billing] = mail.outbox
    assert TYPED in billing.subject and TYPED in billing.body and "&amp;" not in billing.body

    mail.outbox.clear()
    clinic_a.name = TYPED
    signup = Signup(clinic=clinic_a, clinic_name=TYPED, contact_name=TYPED, email="obrien@correo.example", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        queue_welcome_email(signup)
    [welcome] = mail.outbox
    assert f"Hello {TYPED}," in welcome.body and TYPED in welcome.subject and "&#x27;" not in welcome.body


class RefusingBackend:
    """A mail server that is down. (A fake: no real failing SMTP server runs here.)"""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPServerDisconnected("down")


def test_a_failed_send_is_sent_by_the_retry(clinic_a, in_clinic, settings):
    import smtplib

    from clinic.tasks import email_contact_message

    with in_clinic(clinic_a):
        contact = ContactMessage.objects.create(name="Ana", email="ana@correo.example", message="Hola")
        settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
        with pytest.raises(smtplib.SMTPException):
            email_contact_message(message_id=contact.pk)
        contact.refresh_from_db()
        assert contact.emailed_at is None  # the claim is released for the retry
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert email_contact_message(message_id=contact.pk) is True
    assert len(mail.outbox) == 1


def test_a_failed_reminder_is_sent_by_the_retry(clinic_a, in_clinic, settings):
    import smtplib
    from datetime import timedelta

    from django.utils import timezone

    from clinic.emails import send_appointment_email
    from clinic.models import Appointment, Patient, Practitioner, Service

    with in_clinic(clinic_a):
        patient = Patient.objects.create(first_name="Ana", last_name="Prueba", email="ana@correo.example")
        start = timezone.now() + timedelta(hours=20)
        appointment = Appointment.objects.create(
            patient=patient, practitioner=Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example"),
            service=Service.objects.get(slug="empaste-obturacion"), start=start, end=start + timedelta(minutes=45), price=70,
        )
        settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
        with pytest.raises(smtplib.SMTPException):
            send_appointment_email(appointment_id=appointment.pk, template="reminder")
        appointment.refresh_from_db()
        assert appointment.reminder_sent_at is None
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert send_appointment_email(appointment_id=appointment.pk, template="reminder") is True
        assert send_appointment_email(appointment_id=appointment.pk, template="reminder") is False
    assert len(mail.outbox) == 1
