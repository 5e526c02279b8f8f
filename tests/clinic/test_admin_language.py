"""Issue 9, item 10: the staff admin's messages read right in Spanish (no "El cita no pudo
ser creado") and in English."""

import re
from http import HTTPStatus

import pytest

from clinic.models import ServiceCategory
from portal.tenancy import clinic_context
from tests.helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_a, password):
    assert client_a.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password}).status_code == HTTPStatus.FOUND
    return client_a


def test_a_refused_appointment_says_so_with_the_right_gender(admin):
    page = text(admin.post("/admin/clinic/appointment/new/", {"patient": "", "service": "", "practitioner": "", "start": ""}, HTTP_ACCEPT_LANGUAGE="es"))
    assert "No se ha podido guardar: corrija los errores indicados." in page
    assert "El cita" not in page and "creado" not in page


@pytest.mark.parametrize("language,added,saved", [
    ("es", "Se ha añadido «Estética».", "Se han guardado los cambios de «Estética facial»."),
    ("en", "“Estética” has been added.", "The changes to “Estética facial” have been saved."),
])
def test_feminine_models_get_sentences_that_agree(admin, clinic_a, language, added, saved):
    created = admin.post("/admin/clinic/servicecategory/new/", {"name": "Estética", "description": "", "sort_order": "3"}, HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert added in text(created)
    with clinic_context(clinic_a):
        category = ServiceCategory.objects.get(name="Estética")
    edited = admin.post(f"/admin/clinic/servicecategory/edit/{category.pk}/", {"name": "Estética facial", "description": "", "sort_order": "3"},
                        HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert saved in text(edited)
    assert "categoría de servicio 'Estética' creado" not in text(created).lower()


@pytest.mark.parametrize("path", ["/admin/", "/admin/agenda/", "/admin/agenda/semana/", "/admin/recepcion/cita/", "/admin/equipo/", "/admin/equipo/festivos/"])
def test_our_admin_pages_have_no_english_left_in_spanish(admin, path):
    page = text(admin.get(path, HTTP_ACCEPT_LANGUAGE="es"))
    for english in ("Today", "Previous day", "Next day", "All practitioners", "Week view", "To collect", "New appointment", "Team",
                    "Find the patient", "Weekly hours", "Clinic holidays", "Hours a week", "Other staff", "The week ahead", "Next free times"):
        assert f" {english} " not in f" {page} ", (path, english)


def test_plural_counts_are_spanish_for_every_number(admin):
    """Spanish has three plural forms in Django's catalogue (1, millions, the rest): a
    translation with two showed the English "0 waiting" (found on the phone dashboard)."""
    page = text(admin.get("/admin/", HTTP_ACCEPT_LANGUAGE="es"))
    assert "esperando" in page and "waiting" not in page and " seen " not in f" {page} "


def test_the_agenda_says_an_appointment_is_pagada(admin, clinic_a):
    from datetime import datetime, time
    from decimal import Decimal

    from clinic.models import Appointment, Patient, PatientPayment, Practitioner, Service
    from tests.helpers import MADRID, next_tuesday

    with clinic_context(clinic_a):
        patient = Patient.objects.create(first_name="Pago", last_name="Hecho")
        start = datetime.combine(next_tuesday(), time(9), MADRID)
        appointment = Appointment.objects.create(patient=patient, practitioner=Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example"),
                                                 service=Service.objects.get(slug="empaste-obturacion"), start=start, end=start.replace(hour=10),
                                                 price=Decimal("70"))
        PatientPayment.objects.create(appointment=appointment, patient=patient, amount=Decimal("70"), currency="EUR", method="card")
    page = text(admin.get("/admin/agenda/", {"dia": next_tuesday().isoformat()}, HTTP_ACCEPT_LANGUAGE="es"))
    assert "Confirmada · pagada" in page and "pagado" not in page
