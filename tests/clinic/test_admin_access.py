"""Staff sign in to Wagtail admin on their own clinic's host only, with their role's rights
(PRIOR-ART #12, #13, #15)."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group

from clinic.roles import Role

pytestmark = pytest.mark.django_db


def login(client, email, password):
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == HTTPStatus.FOUND, response.content[:500]
    return client


def test_admin_requires_login(client_a):
    response = client_a.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/?next=/admin/")


def test_clinic_admin_runs_the_catalogue_of_their_clinic(client_a, password):
    login(client_a, "admin@sonrisa.example", password)
    assert client_a.get("/admin/").status_code == HTTPStatus.OK
    listing = client_a.get("/admin/clinic/service/")
    assert listing.status_code == HTTPStatus.OK
    assert "Blanqueamiento dental" in listing.content.decode()
    assert client_a.get("/admin/clinic/service/new/").status_code == HTTPStatus.OK
    assert client_a.get("/admin/settings/theme/brandsettings/").status_code in (HTTPStatus.OK, HTTPStatus.FOUND)


def test_staff_of_one_clinic_get_nothing_at_another(client_b, password):
    response = client_b.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    assert response.status_code == HTTPStatus.OK  # form again: no such account here
    assert client_b.get("/admin/").status_code == HTTPStatus.FOUND


def test_a_patient_cannot_open_the_admin(client_a, password):
    login(client_a, "paciente@sonrisa.example", password)
    response = client_a.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert not response["Location"].startswith("/admin/")
    assert client_a.get("/admin/clinic/service/").status_code != HTTPStatus.OK


def test_receptionist_sees_the_catalogue_but_cannot_change_it(client_a, password):
    login(client_a, "recepcion@sonrisa.example", password)
    assert client_a.get("/admin/clinic/service/").status_code == HTTPStatus.OK
    assert client_a.get("/admin/clinic/service/new/").status_code != HTTPStatus.OK
    assert client_a.get("/admin/clinic/contactmessage/").status_code == HTTPStatus.OK
    assert client_a.get("/admin/pages/").status_code != HTTPStatus.OK


def test_practitioner_cannot_read_the_website_inbox(client_a, password):
    login(client_a, "lucia.fernandez@sonrisa.example", password)
    assert client_a.get("/admin/").status_code == HTTPStatus.OK
    assert client_a.get("/admin/clinic/contactmessage/").status_code != HTTPStatus.OK
    assert client_a.get("/admin/users/").status_code != HTTPStatus.OK


def test_every_clinic_has_the_three_default_groups(clinic_a, clinic_b, in_clinic):
    for clinic in (clinic_a, clinic_b):
        with in_clinic(clinic):
            names = set(Group.objects.values_list("name", flat=True))
            assert {role.value for role in Role} <= names
            admin = Group.objects.get(name=Role.CLINIC_ADMIN.value)
            assert admin.permissions.filter(codename="access_admin").exists()
            assert admin.page_permissions.exists()


def test_login_next_cannot_redirect_off_site(client_a, password):
    """Y redirected to any ?next= after login (PRIOR-ART #9)."""
    response = client_a.post("/accounts/login/?next=https://evil.example/", {"login": "paciente@sonrisa.example", "password": password, "next": "https://evil.example/"})
    assert response.status_code == HTTPStatus.FOUND
    assert "evil.example" not in response["Location"]


def test_login_is_case_insensitive_and_rate_limited(client_a, password):
    """Y crashed on duplicate e-mails and neither system limited failed logins (PRIOR-ART #10)."""
    assert client_a.post("/accounts/login/", {"login": "Paciente@Sonrisa.EXAMPLE", "password": password}).status_code == HTTPStatus.FOUND
    client_a.post("/accounts/logout/")
    for _ in range(6):
        client_a.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": "wrong-password"})
    # Locked out for a while: even the right password is refused, with a message.
    response = client_a.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": password})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert "_auth_user_id" not in client_a.session


def test_clinic_admin_adds_a_receptionist_in_wagtail_users(client_a, clinic_a, clinic_b, in_clinic, password):
    from django.contrib.auth import get_user_model

    login(client_a, "admin@sonrisa.example", password)
    assert client_a.get("/admin/users/new/").status_code == HTTPStatus.OK
    # Staff are invited by e-mail and choose their own password (issue 8, #7): the form takes
    # a role, not a password (tests/clinic/test_staff_users.py follows the link).
    response = client_a.post(
        "/admin/users/new/",
        {"email": "nuevo.recepcion@sonrisa.example", "first_name": "Nuevo", "last_name": "Recepción", "role": Role.RECEPTIONIST.value},
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    with in_clinic(clinic_a):
        user = get_user_model().objects.get(email="nuevo.recepcion@sonrisa.example")
        assert list(user.groups.values_list("name", flat=True)) == [Role.RECEPTIONIST.value]
        assert not user.is_superuser and not user.has_usable_password()
    with in_clinic(clinic_b):
        assert not get_user_model().objects.filter(email="nuevo.recepcion@sonrisa.example").exists()


def test_reception_records_a_desk_payment_signed_and_in_the_clinic_currency(client_b, clinic_b, in_clinic, password):
    from clinic.models import Patient, PatientPayment

    with in_clinic(clinic_b):
        patient = Patient.objects.create(first_name="Rosa", last_name="Caja")
    login(client_b, "recepcion@alamos.example", password)
    bad = client_b.post("/admin/clinic/patientpayment/new/", {"patient": patient.pk, "amount": "-50", "method": "cash", "reference": ""})
    assert bad.status_code == HTTPStatus.OK  # the form again: a negative amount is refused (PRIOR-ART #21)
    response = client_b.post("/admin/clinic/patientpayment/new/", {"patient": patient.pk, "amount": "600", "method": "cash", "reference": "caja 1"})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:1500]
    with in_clinic(clinic_b):
        payment = PatientPayment.objects.get(patient=patient)
        assert (payment.amount, payment.currency, payment.recorded_by.email) == (600, "MXN", "recepcion@alamos.example")


def test_staff_see_patients_and_the_agenda_patients_do_not(client_a, password):
    login(client_a, "recepcion@sonrisa.example", password)
    assert client_a.get("/admin/clinic/patient/").status_code == HTTPStatus.OK
    assert client_a.get("/admin/clinic/appointment/").status_code == HTTPStatus.OK
    client_a.post("/accounts/logout/")
    login(client_a, "paciente@sonrisa.example", password)
    assert client_a.get("/admin/clinic/patient/").status_code != HTTPStatus.OK


def test_staff_cannot_double_book_from_the_admin(client_a, clinic_a, in_clinic, password):
    from datetime import timedelta

    from django.utils import timezone

    from clinic.models import Appointment, Patient, Practitioner, Service

    with in_clinic(clinic_a):
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        service = Service.objects.get(slug="empaste-obturacion")
        patient = Patient.objects.create(first_name="Doble", last_name="Reserva")
        start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        Appointment.objects.create(patient=patient, practitioner=lucia, service=service, start=start, end=start + timedelta(minutes=45), price=70)
    login(client_a, "recepcion@sonrisa.example", password)
    from zoneinfo import ZoneInfo

    def wall(value):  # the admin shows and reads times in the clinic's zone
        return timezone.localtime(value, ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%d %H:%M")

    response = client_a.post("/admin/clinic/appointment/new/", {
        "patient": patient.pk, "practitioner": lucia.pk, "service": service.pk, "status": "confirmed", "cancel_reason": "",
        "start": wall(start + timedelta(minutes=15)), "end": wall(start + timedelta(minutes=60)),
    })
    assert response.status_code == HTTPStatus.OK  # the form again, with the clash explained
    with in_clinic(clinic_a):
        assert Appointment.objects.filter(patient=patient).count() == 1


def test_the_clinic_cancels_from_the_admin_and_the_patient_is_told(client_a, clinic_a, in_clinic, password, django_capture_on_commit_callbacks):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from django.core import mail
    from django.utils import timezone

    from clinic.models import Appointment, Patient, Practitioner, Service

    with in_clinic(clinic_a):
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        service = Service.objects.get(slug="empaste-obturacion")
        patient = Patient.objects.create(first_name="Avisada", last_name="Prueba", email="avisada@correo.example")
        start = (timezone.now() + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
        appointment = Appointment.objects.create(patient=patient, practitioner=lucia, service=service, start=start, end=start + timedelta(minutes=45), price=70)
    login(client_a, "recepcion@sonrisa.example", password)

    def wall(value):
        return timezone.localtime(value, ZoneInfo("Europe/Madrid")).strftime("%Y-%m-%d %H:%M")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(f"/admin/clinic/appointment/edit/{appointment.pk}/", {
            "patient": patient.pk, "practitioner": lucia.pk, "service": service.pk, "start": wall(start), "end": wall(start + timedelta(minutes=45)),
            "status": "cancelled", "cancel_reason": "La doctora está enferma",
        })
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:1500]
    with in_clinic(clinic_a):
        appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED and appointment.cancelled_by == Appointment.CancelledBy.CLINIC
    [message] = mail.outbox
    assert message.to == ["avisada@correo.example"] and "La doctora está enferma" in message.body
