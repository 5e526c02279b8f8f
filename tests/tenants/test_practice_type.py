"""Issue 9, item 9: the clinic says what it does at signup, and its starter catalogue and
home page fit that instead of always being a dentist's."""

import pytest

from clinic.defaults import fit_to_practice
from clinic.models import Service
from portal.tenancy import clinic_context
from tenants.models import Clinic, Plan, PracticeType
from tenants.services import create_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_clinic():
    """A clinic cloned from the template, as provisioning makes it (inside the test's
    transaction: PostgreSQL rolls the new schema back with it)."""
    clinic, _created = create_clinic(name="Centro Nuevo", slug="centro-nuevo", admin_email="dueno@nuevo.example", time_zone="Europe/Madrid", currency="EUR")
    return clinic


def names():
    return sorted(Service.objects.values_list("name", flat=True))


def test_a_physiotherapy_clinic_starts_with_physiotherapy_and_no_dentistry(fresh_clinic, host_client):
    with clinic_context(fresh_clinic):
        assert fit_to_practice(PracticeType.PHYSIOTHERAPY) is True
        assert names() == ["Primera valoración de fisioterapia", "Punción seca", "Sesión de fisioterapia"]
        assert fit_to_practice(PracticeType.PHYSIOTHERAPY) is False  # idempotent
    site = host_client(fresh_clinic.primary_host)
    for path in ("/", "/servicios/"):
        page = site.get(path).content.decode().lower()
        assert "sonrisa" not in page and "odontolog" not in page and "dental" not in page
    assert "vuelve a moverte sin dolor" in site.get("/").content.decode().lower()


def test_a_clinic_that_edited_its_catalogue_keeps_it(fresh_clinic, django_user_model):
    from wagtail.log_actions import log

    with clinic_context(fresh_clinic):
        service = Service.objects.first()
        log(instance=service, action="wagtail.edit", user=None)
        assert fit_to_practice(PracticeType.PSYCHOLOGY) is True  # the home page still changes
        assert "Primera visita" in names() and "Sesión de terapia individual" not in names()


def test_the_signup_form_asks_for_the_kind_of_practice(platform_client):
    page = platform_client.get("/alta/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="practice_type"' in page and "physiotherapy" in page.lower()
    assert Plan.objects.exists()


def test_demo_clinics_have_their_kind(clinic_a):
    assert set(Clinic.objects.filter(slug__in=["sonrisa", "alamos"]).values_list("slug", "practice_type")) == {("sonrisa", "dental"), ("alamos", "medical")}
