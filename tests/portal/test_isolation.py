"""Tenancy rules 2 and 3: one clinic's pages, services, users, sessions and cache entries
are invisible at another (PRIOR-ART #2, #5, #16)."""

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from wagtail.models import Site

from clinic.models import Service
from theme.models import BrandSettings, HomePage, StandardPage

pytestmark = pytest.mark.django_db


def login(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_a_page_published_at_one_clinic_is_not_at_the_other(clinic_a, client_a, client_b, in_clinic):
    with in_clinic(clinic_a):
        home = HomePage.objects.get()
        page = StandardPage(title="Promoción de invierno", slug="promo-invierno")
        home.add_child(instance=page)
        page.save_revision().publish()
    assert client_a.get("/promo-invierno/").status_code == HTTPStatus.OK
    assert client_b.get("/promo-invierno/").status_code == HTTPStatus.NOT_FOUND


def test_each_clinic_lists_only_its_own_services(client_a, client_b):
    a = client_a.get("/servicios/").content.decode()
    b = client_b.get("/servicios/").content.decode()
    assert "Blanqueamiento dental" in a and "Blanqueamiento dental" not in b
    assert "Consulta pediátrica" in b and "Consulta pediátrica" not in a


def test_services_and_users_live_in_separate_schemas(clinic_a, clinic_b, in_clinic):
    with in_clinic(clinic_a):
        assert Service.objects.filter(name="Blanqueamiento dental").exists()
        assert get_user_model().objects.filter(email="paciente@sonrisa.example").exists()
    with in_clinic(clinic_b):
        assert not Service.objects.filter(name="Blanqueamiento dental").exists()
        assert not get_user_model().objects.filter(email="paciente@sonrisa.example").exists()


def test_a_user_of_one_clinic_cannot_sign_in_at_another(client_a, client_b, password):
    assert login(client_a, "paciente@sonrisa.example", password).status_code == HTTPStatus.FOUND
    response = login(client_b, "paciente@sonrisa.example", password)
    assert response.status_code == HTTPStatus.OK  # the form again, with an error
    assert "_auth_user_id" not in client_b.session


def test_a_session_cookie_from_one_clinic_is_anonymous_at_another(client_a, client_b, settings, password):
    login(client_a, "paciente@sonrisa.example", password)
    assert client_a.get("/cuenta/").status_code == HTTPStatus.OK
    client_b.cookies[settings.SESSION_COOKIE_NAME] = client_a.cookies[settings.SESSION_COOKIE_NAME].value
    response = client_b.get("/cuenta/")
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]
    assert client_b.get("/").wsgi_request.user.is_anonymous


def test_session_cookies_are_host_only(client_a, settings, password):
    response = login(client_a, "paciente@sonrisa.example", password)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["domain"] == ""  # no Domain attribute: the browser sends it to this host only
    assert cookie["httponly"]


def test_user_ids_repeat_across_clinics_without_meaning_anything(clinic_a, clinic_b, in_clinic):
    """D's tokens carried no clinic, so user #N of A worked as user #N of B (PRIOR-ART #2)."""
    with in_clinic(clinic_a):
        ids_a = set(get_user_model().objects.values_list("pk", flat=True))
    with in_clinic(clinic_b):
        ids_b = set(get_user_model().objects.values_list("pk", flat=True))
    assert ids_a & ids_b  # ids collide by design; only the schema gives them meaning


def test_cache_entries_are_per_clinic(clinic_a, clinic_b, in_clinic):
    with in_clinic(clinic_a):
        cache.set("greeting", "hola desde A")
    with in_clinic(clinic_b):
        assert cache.get("greeting") is None
    with in_clinic(clinic_a):
        assert cache.get("greeting") == "hola desde A"


def test_wagtail_site_root_cache_does_not_leak_host_names(clinic_a, clinic_b, client_a, client_b, in_clinic):
    """Without tenant-aware keys clinic B rendered clinic A's host (STACK-NOTES)."""
    client_a.get("/")  # fills A's cached site root paths
    client_b.get("/")
    with in_clinic(clinic_a):
        hosts_a = {Site.objects.get(pk=p.site_id).hostname for p in Site.get_site_root_paths()}
        full_url_a = HomePage.objects.get().full_url
    with in_clinic(clinic_b):
        hosts_b = {Site.objects.get(pk=p.site_id).hostname for p in Site.get_site_root_paths()}
        full_url_b = HomePage.objects.get().full_url
    assert hosts_a == {clinic_a.primary_host}
    assert hosts_b == {clinic_b.primary_host}
    assert clinic_a.primary_host in full_url_a and clinic_b.primary_host in full_url_b


def test_brand_settings_do_not_leak_between_clinics(client_a, client_b, clinic_a, clinic_b, in_clinic):
    with in_clinic(clinic_a):
        colour_a = BrandSettings.for_default_site().primary_color
    with in_clinic(clinic_b):
        colour_b = BrandSettings.for_default_site().primary_color
    assert colour_a != colour_b
    for _ in range(2):  # the second round is served from any caches the first filled
        page_a = client_a.get("/").content.decode()
        page_b = client_b.get("/").content.decode()
        assert f"--brand-primary: {colour_a}" in page_a and colour_b not in page_a
        assert f"--brand-primary: {colour_b}" in page_b and colour_a not in page_b


def test_uploaded_files_are_stored_under_the_clinic_schema(clinic_a, in_clinic):
    """Both earlier systems stored uploads without the clinic in the path (PRIOR-ART #5)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    with in_clinic(clinic_a):
        # Website images are public (issue 8, item 9: everything else is private).
        name = default_storage.save("original_images/isolation-check.txt", ContentFile(b"x"))
        try:
            assert default_storage.path(name).split("/")[-3] == clinic_a.schema_name
            assert default_storage.url(name).startswith(f"/media/{clinic_a.schema_name}/")
        finally:
            default_storage.delete(name)


def test_uploaded_files_are_served_only_on_their_clinic_host(clinic_a, clinic_b, client_a, client_b, in_clinic):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    with in_clinic(clinic_a):
        name = default_storage.save("original_images/logo-check.txt", ContentFile(b"sonrisa"))
        url = default_storage.url(name)
    try:
        assert client_a.get(url).status_code == HTTPStatus.OK
        assert client_b.get(url).status_code == HTTPStatus.NOT_FOUND
        # Nor by naming the other schema on B's host.
        assert client_b.get(url.replace(clinic_a.schema_name, clinic_b.schema_name)).status_code == HTTPStatus.NOT_FOUND
    finally:
        with in_clinic(clinic_a):
            default_storage.delete(name)
