"""Issue 9, item 9: a new clinic's checklist, and online booking that opens only once someone can be booked."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.models import Practitioner, Service, WorkingHours
from clinic.onboarding import booking_ready
from portal.tenancy import clinic_context
from tests.helpers import login, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def unready(clinic_a):
    """Sonrisa as a new clinic would be: nobody with hours (rolled back after the test)."""
    with clinic_context(clinic_a):
        WorkingHours.objects.all().delete()
        assert not booking_ready()
    return clinic_a


@pytest.mark.parametrize("language,call", [("es", "Llame para reservar"), ("en", "Call us to book")])
def test_an_unready_clinic_s_site_says_call_us_instead_of_book(client_a, unready, language, call):
    home = client_a.get("/", HTTP_ACCEPT_LANGUAGE=language)
    page = home.content.decode()
    assert 'href="tel:+34910123456"' in page and call in text(home)
    assert reverse("patients_portal:book") not in page


@pytest.mark.parametrize("path", ["/reservar/", "/reservar/empaste-obturacion/", "/reservar/empaste-obturacion/confirmar/?inicio=2030-01-01T10:00:00%2B01:00"])
def test_the_booking_pages_of_an_unready_clinic_say_so(client_a, unready, password, path):
    login(client_a, "paciente@sonrisa.example", password)
    response = client_a.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    assert "Online booking is not open yet" in text(response) and "+34 910 123 456" in text(response)
    slots = client_a.get("/reservar/huecos/?servicio=empaste-obturacion&desde=2030-01-01&hasta=2030-01-02", HTTP_ACCEPT_LANGUAGE="en")
    assert slots.status_code == HTTPStatus.CONFLICT and "not open yet" in slots.json()["error"]


def test_booking_opens_once_a_practitioner_with_hours_offers_an_online_service(client_a, unready):
    from datetime import time

    with clinic_context(unready):
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        WorkingHours.objects.create(practitioner=lucia, weekday=0, start=time(9), end=time(14))
        assert booking_ready()
        Service.objects.filter(practitioners=lucia).update(online_bookable=False)
        assert not booking_ready()
        Service.objects.filter(practitioners=lucia).update(online_bookable=True)
    assert reverse("patients_portal:book") in client_a.get("/").content.decode()


def test_the_checklist_counts_from_real_data_for_clinic_admins_only(client_a, unready, password):
    login(client_a, "admin@sonrisa.example", password)
    page = text(client_a.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Getting started:" in page and "of 5 done" in page
    assert "First practitioner with hours" in page and "Online booking opens by itself" in page
    done_before = int(re.search(r"Getting started: (\d) of 5 done", page).group(1))
    from datetime import time

    with clinic_context(unready):
        WorkingHours.objects.create(practitioner=Practitioner.objects.first(), weekday=0, start=time(9), end=time(14))
    after = text(client_a.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))
    assert int(re.search(r"Getting started: (\d) of 5 done", after).group(1)) == done_before + 1
    client_a.post("/accounts/logout/")
    login(client_a, "recepcion@sonrisa.example", password)
    assert "Getting started" not in text(client_a.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))


def test_another_clinic_s_progress_never_counts(client_b, unready, password):
    login(client_b, "admin@alamos.example", password)
    page = text(client_b.get("/admin/", HTTP_ACCEPT_LANGUAGE="en"))
    # Los Álamos has practitioners with hours: that step is done there, whatever Sonrisa lacks.
    if "Getting started" in page:
        assert "First practitioner with hours" not in page.split("Getting started")[1].split("Online booking")[0].replace("✓ First practitioner with hours", "")
