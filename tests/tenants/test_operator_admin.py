"""Operators use Django admin on the platform host only, always behind a login (PRIOR-ART #6)."""

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db


def operator_login(client, password):
    response = client.post("/admin/login/", {"username": "operador@platform.example", "password": password})
    assert response.status_code == HTTPStatus.FOUND


def test_operator_sees_clinics_domains_and_plans(platform_client, password):
    operator_login(platform_client, password)
    for path in ("/admin/tenants/clinic/", "/admin/tenants/domain/", "/admin/tenants/plan/"):
        response = platform_client.get(path)
        assert response.status_code == HTTPStatus.OK, path
    body = platform_client.get("/admin/tenants/clinic/").content.decode()
    assert "Clínica Dental Sonrisa" in body and "Centro Médico Los Álamos" in body


def test_operators_cannot_delete_clinics_or_add_them_without_provisioning(platform_client, password, clinic_a):
    operator_login(platform_client, password)
    assert platform_client.get(f"/admin/tenants/clinic/{clinic_a.pk}/delete/").status_code == HTTPStatus.FORBIDDEN
    assert platform_client.get("/admin/tenants/clinic/add/").status_code == HTTPStatus.FORBIDDEN


def test_clinic_staff_are_not_operators(platform_client, password):
    response = platform_client.post("/admin/login/", {"username": "admin@sonrisa.example", "password": password})
    assert response.status_code == HTTPStatus.OK  # the login form again
    assert platform_client.get("/admin/tenants/clinic/").status_code == HTTPStatus.FOUND


def test_operator_credentials_mean_nothing_on_a_clinic_host(client_a, password):
    response = client_a.post("/accounts/login/", {"login": "operador@platform.example", "password": password})
    assert response.status_code == HTTPStatus.OK
    assert client_a.get("/admin/").status_code == HTTPStatus.FOUND
