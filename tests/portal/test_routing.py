"""Tenancy rule 1: the Host header alone selects the clinic (PRIOR-ART #1, #3, #4)."""

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db


def test_platform_host_serves_the_platform_site(platform_client):
    response = platform_client.get("/")
    assert response.status_code == HTTPStatus.OK
    assert b"Clinic Portal" in response.content
    assert response.wsgi_request.tenant.schema_name == "public"


def test_clinic_subdomain_serves_that_clinic(client_a, clinic_a):
    response = client_a.get("/")
    assert response.status_code == HTTPStatus.OK
    assert response.wsgi_request.tenant == clinic_a
    assert "Clínica Dental Sonrisa" in response.content.decode()


def test_custom_domain_serves_its_clinic(clinic_b, host_client):
    from portal.tenancy import public_context
    from tenants.models import Domain

    with public_context():
        Domain.objects.create(domain="www-centro-alamos.example", tenant=clinic_b, is_primary=False)
    response = host_client("www-centro-alamos.example").get("/")
    assert response.status_code == HTTPStatus.OK
    assert "Centro Médico Los Álamos" in response.content.decode()


@pytest.mark.parametrize("host", ["nadie.localhost", "template.localhost", "clinic_template.localhost", "sonrisa.localhost.evil.example"])
def test_unknown_host_is_404_not_a_default_clinic(host_client, host):
    response = host_client(host).get("/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    body = response.content.decode()
    assert "Sonrisa" not in body and "Álamos" not in body and "Planes" not in body


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_TENANT_ID": "clinic_alamos"},
        {"HTTP_X_FORWARDED_HOST": "alamos.localhost"},
        {"HTTP_X_ORIGINAL_HOST": "alamos.localhost"},
    ],
)
def test_request_headers_cannot_select_a_clinic(client_a, clinic_a, headers):
    response = client_a.get("/", **headers)
    assert response.wsgi_request.tenant == clinic_a
    assert "Álamos" not in response.content.decode()


def test_query_string_and_cookie_cannot_select_a_clinic(client_a, clinic_a):
    client_a.cookies["tenant"] = "clinic_alamos"
    response = client_a.get("/?tenant=clinic_alamos&schema=clinic_alamos")
    assert response.wsgi_request.tenant == clinic_a


def test_operator_admin_is_not_routed_on_clinic_hosts(client_a):
    """Y served its operator console on every subdomain (PRIOR-ART #3)."""
    response = client_a.get("/admin/login/")
    # /admin/ on a clinic host is that clinic's Wagtail admin, never Django's operator admin.
    assert b"Clinic Portal \xe2\x80\x94 operators" not in response.content
    assert b"django-admin" not in response.content


def test_clinic_pages_are_not_served_on_the_platform_host(platform_client):
    assert platform_client.get("/servicios/").status_code == HTTPStatus.NOT_FOUND
    assert platform_client.get("/accounts/login/").status_code == HTTPStatus.NOT_FOUND


def test_operator_admin_requires_login(platform_client):
    """PRIOR-ART #6: both earlier operator consoles had no login."""
    response = platform_client.get("/admin/tenants/clinic/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")


def test_an_unknown_host_gets_the_security_headers_too(host_client):
    """The tenant middleware answers an unknown host itself; found trying the product: that
    404 carried no Content-Security-Policy, Permissions-Policy or nosniff header."""
    response = host_client("nadie.localhost").get("/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"

