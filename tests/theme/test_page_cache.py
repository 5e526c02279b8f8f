"""Issue 13: anonymous clinic pages come from the shared cache, and only when that is safe.

Correctness only (no timing): what is stored, who gets it, and that every change a
page shows reaches the next request. ``X-Page-Cache`` says ``hit`` (served from the
cache) or ``miss`` (rendered and stored); no header: neither looked up nor stored.
"""

import re
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.test import Client

from billing.subscriptions import set_clinic_status
from clinic.models import Practitioner, Service, ServiceCategory, WorkingHours
from portal import middleware
from portal.pagecache import GENERATION_KEY, clinic_changed
from portal.tenancy import public_context
from tenants.models import Clinic, Domain
from tests.helpers import login
from theme.models import BrandSettings, HomePage, TeamPage

pytestmark = pytest.mark.django_db


def cached(response):
    return response.headers.get("X-Page-Cache")


def nonce(response):
    return re.search(r'<style nonce="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def patient_a(client_a, password):
    return login(Client(HTTP_HOST=client_a.defaults["HTTP_HOST"]), "paciente@sonrisa.example", password)


@pytest.mark.parametrize("path", ["/", "/servicios/", "/equipo/", "/sobre-nosotros/"])
def test_the_second_anonymous_visit_is_served_from_the_cache(client_a, path, django_assert_max_num_queries, settings):
    settings.TENANT_HOST_CACHE_SECONDS, settings.TENANT_STATE_CHECK_SECONDS = 30, 60  # as served: hosts remembered
    middleware.forget_hosts()
    first = client_a.get(path)
    assert first.status_code == HTTPStatus.OK and cached(first) == "miss"
    assert not first.cookies, "an anonymous page sets no cookie (no CSRF token in the language switcher)"
    with django_assert_max_num_queries(1):  # the entry and the clinic's generation, in one read
        second = client_a.get(path)
    assert second.status_code == HTTPStatus.OK and cached(second) == "hit"
    assert second.content.decode().replace(nonce(second), "N") == first.content.decode().replace(nonce(first), "N")
    assert second["Content-Type"] == "text/html; charset=utf-8" and second["Content-Language"] == "es"
    middleware.forget_hosts()


def test_every_answer_has_its_own_csp_nonce_matching_its_header(client_a):
    answers = [client_a.get("/") for _ in range(3)]
    assert [cached(a) for a in answers] == ["miss", "hit", "hit"]
    nonces = [nonce(a) for a in answers]
    assert len(set(nonces)) == 3
    for answer, value in zip(answers, nonces):
        assert f"'nonce-{value}'" in answer["Content-Security-Policy"]


def test_a_signed_in_patient_never_gets_the_cached_copy_nor_fills_it(client_a, patient_a):
    assert cached(client_a.get("/")) == "miss"
    mine = patient_a.get("/")
    assert mine.status_code == HTTPStatus.OK and cached(mine) is None
    assert "Mi cuenta" in mine.content.decode() and 'name="csrfmiddlewaretoken"' in mine.content.decode()
    assert "Mi cuenta" not in client_a.get("/").content.decode()
    # Signed in first: the anonymous visitor after them still renders (and stores) their own.
    assert cached(patient_a.get("/equipo/")) is None
    anonymous = client_a.get("/equipo/")
    assert cached(anonymous) == "miss" and "Mi cuenta" not in anonymous.content.decode()


def test_a_page_with_a_csrf_form_is_never_stored(client_a):
    for _ in range(2):
        response = client_a.get("/contacto/")
        assert response.status_code == HTTPStatus.OK and cached(response) is None
        assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_a_page_showing_a_message_is_never_stored(client_a, patient_a):
    """Signing out leaves a message in a fresh (anonymous) session: shown, never cached."""
    assert patient_a.post("/accounts/logout/").status_code == HTTPStatus.FOUND
    page = patient_a.get("/")
    assert cached(page) is None and "message--" in page.content.decode()
    fresh = client_a.get("/")
    assert cached(fresh) == "miss" and "message--" not in fresh.content.decode()


def test_other_methods_query_strings_errors_and_private_paths_are_neither_served_nor_stored(client_a):
    client_a.get("/")
    assert cached(client_a.get("/?utm=x")) is None
    assert cached(client_a.head("/")) is None
    client_a.post("/")
    assert cached(client_a.post("/")) is None
    for _ in range(2):
        missing = client_a.get("/no-existe/")
        assert missing.status_code == HTTPStatus.NOT_FOUND and cached(missing) is None
        assert cached(client_a.get("/accounts/login/")) is None
        assert cached(client_a.get("/reservar/")) is None
        assert cached(client_a.get("/servicios")) is None  # the 301 to the slash


def test_another_clinic_never_gets_clinic_as_page(client_a, client_b, clinic_a, in_clinic):
    assert cached(client_a.get("/")) == "miss"
    assert cached(client_a.get("/")) == "hit"
    other = client_b.get("/")
    assert cached(other) == "miss"
    assert "Centro Médico Los Álamos" in other.content.decode() and "Clínica Dental Sonrisa" not in other.content.decode()
    # Clinic A's generation is its own: a change at B leaves A's copy in place.
    with in_clinic(clinic_a):
        generation = cache.get(GENERATION_KEY)
    clinic_changed(Clinic.objects.get(slug="alamos").schema_name)
    with in_clinic(clinic_a):
        assert cache.get(GENERATION_KEY) == generation
    assert cached(client_a.get("/")) == "hit"


def test_each_host_of_a_clinic_has_its_own_copy(client_a, clinic_a, host_client):
    Domain.objects.create(domain="sonrisa-alias.localhost", tenant=clinic_a, is_primary=False)
    assert cached(client_a.get("/")) == "miss"
    alias = host_client("sonrisa-alias.localhost").get("/")
    assert alias.status_code == HTTPStatus.OK and cached(alias) == "miss"


def test_each_language_has_its_own_copy(client_a):
    spanish = client_a.get("/", HTTP_ACCEPT_LANGUAGE="es")
    assert cached(spanish) == "miss" and '<html lang="es">' in spanish.content.decode()
    english = client_a.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert cached(english) == "miss" and '<html lang="en">' in english.content.decode()
    assert cached(client_a.get("/", HTTP_ACCEPT_LANGUAGE="es")) == "hit"
    again = client_a.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert cached(again) == "hit" and '<html lang="en">' in again.content.decode()
    # The switcher's cookie beats the browser's language, in the key as in the page.
    client_a.cookies["django_language"] = "en"
    chosen = client_a.get("/", HTTP_ACCEPT_LANGUAGE="es")
    assert cached(chosen) == "hit" and '<html lang="en">' in chosen.content.decode()


def test_the_language_switch_works_without_a_token_for_visitors(client_a):
    csrf_client = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"], enforce_csrf_checks=True)
    response = csrf_client.post("/i18n/setlang/", {"language": "en", "next": "/equipo/"})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/equipo/"
    assert '<html lang="en">' in csrf_client.get("/equipo/").content.decode()


def test_a_signed_in_switch_still_needs_the_token(client_a, clinic_a, in_clinic):
    from django.contrib.auth import get_user_model

    patient = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"], enforce_csrf_checks=True)
    with in_clinic(clinic_a):
        patient.force_login(get_user_model().objects.get(email="paciente@sonrisa.example"))
    assert patient.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == HTTPStatus.FORBIDDEN
    with in_clinic(clinic_a):
        assert get_user_model().objects.get(email="paciente@sonrisa.example").language != "en"


def _publish(page, **changes):
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()


def test_publishing_and_unpublishing_show_at_once(client_a, clinic_a, in_clinic):
    for path in ("/", "/equipo/"):
        client_a.get(path)
        assert cached(client_a.get(path)) == "hit"
    with in_clinic(clinic_a):
        _publish(HomePage.objects.get(), hero_title="Sonrisas nuevas cada día")
    home = client_a.get("/")
    assert cached(home) == "miss" and "Sonrisas nuevas cada día" in home.content.decode()
    with in_clinic(clinic_a):
        TeamPage.objects.get().unpublish()
    assert client_a.get("/equipo/").status_code == HTTPStatus.NOT_FOUND
    assert 'href="/equipo/"' not in client_a.get("/").content.decode()
    with in_clinic(clinic_a):
        TeamPage.objects.get().save_revision().publish()
    assert client_a.get("/equipo/").status_code == HTTPStatus.OK


def test_brand_settings_change_shows_at_once(client_a, clinic_a, in_clinic):
    client_a.get("/servicios/")
    with in_clinic(clinic_a):
        brand = BrandSettings.for_default_site()
        brand.display_name = "Sonrisa Centro"
        brand.save()
    page = client_a.get("/servicios/")
    assert cached(page) == "miss" and "Sonrisa Centro" in page.content.decode()


def test_catalogue_and_team_changes_show_at_once(client_a, clinic_a, in_clinic):
    client_a.get("/servicios/"), client_a.get("/equipo/")
    with in_clinic(clinic_a):
        service = Service.objects.get(name="Empaste (obturación)")
        service.name = "Empaste estético"
        service.save()
    assert "Empaste estético" in client_a.get("/servicios/").content.decode()
    with in_clinic(clinic_a):
        category = ServiceCategory.objects.get(name="Ortodoncia")
        category.name = "Ortodoncia invisible"
        category.save()
    assert "Ortodoncia invisible" in client_a.get("/servicios/").content.decode()
    with in_clinic(clinic_a):
        practitioner = Practitioner.objects.select_related("user").get(user__email="carmen.ortega@sonrisa.example")
        practitioner.specialty = "Periodoncia avanzada"
        practitioner.save()
    assert "Periodoncia avanzada" in client_a.get("/equipo/").content.decode()
    with in_clinic(clinic_a):
        practitioner.user.last_name = "Ortega Vidal"
        practitioner.user.save()
    assert "Ortega Vidal" in client_a.get("/equipo/").content.decode()
    with in_clinic(clinic_a):
        practitioner.services.clear()
    assert cached(client_a.get("/equipo/")) == "miss"


def test_booking_closing_shows_at_once(client_a, clinic_a, in_clinic):
    """The header's "Book" depends on practitioners' hours (clinic.onboarding)."""
    assert "Reservar" in client_a.get("/").content.decode()
    with in_clinic(clinic_a):
        for hours in WorkingHours.objects.all():
            hours.delete()
    home = client_a.get("/")
    assert cached(home) == "miss" and 'href="/reservar/"' not in home.content.decode()


def test_a_bulk_update_shows_once_the_clinic_is_told(client_a, clinic_a, in_clinic):
    """``.update()`` sends no signal: code that bulk-updates what pages show calls
    ``clinic_changed()`` (as set_clinic_status does for the status)."""
    client_a.get("/servicios/")
    with in_clinic(clinic_a):
        Service.objects.filter(name="Empaste (obturación)").update(name="Empaste rápido")
    assert cached(client_a.get("/servicios/")) == "hit"  # not told yet: the old copy
    with in_clinic(clinic_a):
        clinic_changed()
    assert "Empaste rápido" in client_a.get("/servicios/").content.decode()


def test_suspending_and_reactivating_show_at_once(client_a, clinic_a):
    client_a.get("/")
    assert cached(client_a.get("/")) == "hit"
    set_clinic_status(clinic=clinic_a, status=Clinic.Status.SUSPENDED)
    assert client_a.get("/").status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert client_a.get("/").status_code == HTTPStatus.SERVICE_UNAVAILABLE  # the 503 is not cached either
    set_clinic_status(clinic=clinic_a, status=Clinic.Status.ACTIVE)
    page = client_a.get("/")
    assert page.status_code == HTTPStatus.OK and cached(page) == "miss"


def test_a_status_change_in_another_process_reaches_this_one_within_the_check_interval(client_a, clinic_a, settings):
    """Hosts are remembered per process; another process's change arrives through the
    shared tenancy version, read at most every TENANT_STATE_CHECK_SECONDS."""
    settings.TENANT_HOST_CACHE_SECONDS = 30
    settings.TENANT_STATE_CHECK_SECONDS = 0
    middleware.forget_hosts()
    assert client_a.get("/").status_code == HTTPStatus.OK
    # Another process suspends the clinic: its signal clears only its own host cache.
    Clinic.objects.filter(pk=clinic_a.pk).update(status=Clinic.Status.SUSPENDED)
    assert client_a.get("/").status_code == HTTPStatus.OK  # this process still remembers "active"
    with public_context():  # what that process's tenancy_changed() writes
        cache.set(middleware.TENANCY_VERSION_KEY, "moved-by-another-process", None)
    assert client_a.get("/").status_code == HTTPStatus.SERVICE_UNAVAILABLE
    middleware.forget_hosts()


def test_an_evicted_generation_never_brings_old_copies_back(client_a, clinic_a, in_clinic):
    client_a.get("/")
    with in_clinic(clinic_a):
        cache.delete(GENERATION_KEY)
    assert cached(client_a.get("/")) == "miss"
    assert cached(client_a.get("/")) == "hit"


def test_off_when_page_cache_seconds_is_zero(client_a, settings):
    settings.PAGE_CACHE_SECONDS = 0
    assert cached(client_a.get("/")) is None and cached(client_a.get("/")) is None


def test_a_past_due_clinic_still_shows_and_caches_its_pages(client_a, clinic_a):
    """Past due is the grace period: the website stays up (only suspension closes it)."""
    client_a.get("/")
    set_clinic_status(clinic=clinic_a, status=Clinic.Status.PAST_DUE)
    assert cached(client_a.get("/")) == "miss"  # the status change is a change
    page = client_a.get("/")
    assert page.status_code == HTTPStatus.OK and cached(page) == "hit"
