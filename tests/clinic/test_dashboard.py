"""Issue 9, item 7: the dashboard is the clinic's day, per role, not Wagtail's page summary."""

import re
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.models import Appointment, Patient, PatientPayment, Practitioner
from portal.tenancy import clinic_context, clinic_zone
from tests.helpers import login, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(clinic_a, clinic_b, host_client):
    """Today at whichever demo clinic has a few hours of its day on either side of now
    (Madrid and Mexico City are seven hours apart, so one always has): one patient seen
    and unpaid, one arrived, one late, one to come."""
    for clinic in (clinic_a, clinic_b):
        with clinic_context(clinic):
            local = timezone.localtime(timezone.now(), clinic_zone())
            if 3 <= local.hour <= 20:
                break
    with clinic_context(clinic):
        now = timezone.now()
        first, second, third = list(Practitioner.objects.active().select_related("user").order_by("sort_order"))[:3]
        service = first.services.order_by("duration_minutes").first()
        rows = {"clinic": clinic, "client": host_client(clinic.primary_host), "slug": clinic.slug, "first": first, "second": second, "third": third}
        for key, practitioner, offset, status in (
            ("seen", first, -120, Appointment.Status.COMPLETED), ("arrived", first, -10, Appointment.Status.ARRIVED),
            ("late", second, -20, Appointment.Status.CONFIRMED), ("later", second, 90, Appointment.Status.CONFIRMED),
        ):
            patient = Patient.objects.create(first_name=f"Paciente{key.capitalize()}", last_name="Hoy")
            start = (now + timedelta(minutes=offset)).replace(second=0, microsecond=0)
            rows[key] = Appointment.objects.create(patient=patient, practitioner=practitioner, service=service, start=start,
                                                   end=start + timedelta(minutes=30), price=Decimal("70"), status=status)
        return rows


def test_the_receptionist_sees_today_who_is_waiting_late_and_what_to_collect(day, password):
    client = login(day["client"], f"recepcion@{day['slug']}.example", password)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert day["clinic"].name in page and "Today" in page
    assert "1 waiting" in page and "1 late" in page and "1 seen" in page
    for key in ("seen", "arrived", "late", "later"):
        assert f"Paciente{key.capitalize()} Hoy" in page
    with clinic_context(day["clinic"]):
        local = timezone.localtime(day["later"].start, clinic_zone())
    assert f"{local:%H:%M} PacienteLater Hoy" in page
    assert re.search(r"To collect · \D*70\.00", page), page[page.find("To collect"):][:80]
    assert "Pages" not in page and "Search all pages" not in page and "What's new in Wagtail" not in page and "editor guide" not in page.lower()


def test_a_payment_takes_it_off_the_list_to_collect(day, password):
    with clinic_context(day["clinic"]):
        PatientPayment.objects.create(appointment=day["seen"], patient=day["seen"].patient, amount=Decimal("70"), currency=day["clinic"].currency, method="cash")
    client = login(day["client"], f"recepcion@{day['slug']}.example", password)
    assert "Nothing to collect" in text(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))


def test_the_practitioner_sees_their_own_day_first_and_nothing_to_collect(day, password):
    client = login(day["client"], day["second"].user.email, password)
    page = text(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))
    assert page.index(f"{day['second'].display_name} · you") < page.index(day["first"].display_name)
    assert "To collect" not in page and "The week ahead" not in page


def test_the_clinic_admin_also_sees_the_week_ahead(day, password):
    client = login(day["client"], f"admin@{day['slug']}.example", password)
    page = text(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "The week ahead" in page and "Next free times" in page


def test_another_clinic_s_day_never_shows(day, clinic_a, clinic_b, host_client, password):
    other = clinic_b if day["clinic"] == clinic_a else clinic_a
    client = login(host_client(other.primary_host), f"recepcion@{other.slug}.example", password)
    page = text(client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))
    assert other.name in page and "PacienteLate" not in page


def test_the_dashboard_s_queries_do_not_grow_with_the_appointments(day, password):
    client = login(day["client"], f"admin@{day['slug']}.example", password)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/").status_code == HTTPStatus.OK
        return len(queries)

    count()
    few = count()
    with clinic_context(day["clinic"]):
        third = day["third"]
        service = third.services.first()
        patient = Patient.objects.create(first_name="Muchos", last_name="Pacientes")
        base = day["seen"].start.replace(minute=0) - timedelta(hours=30)
        for i in range(20):
            Appointment.objects.create(patient=patient, practitioner=third, service=service, start=base + timedelta(minutes=60 * i),
                                       end=base + timedelta(minutes=60 * i + 30), price=Decimal("60"), status=Appointment.Status.COMPLETED)
    assert count() == few
