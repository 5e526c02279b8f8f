"""A lived-in record at Clínica Dental Sonrisa (the demo records, without the demo
agenda: tests that need appointments seed or make them), and a signed-in client per role."""

from http import HTTPStatus

import pytest

from clinic.models import Patient
from portal.tenancy import clinic_context
from tenants.demo_records import seed_records

EMAILS = {"admin": "admin@sonrisa.example", "reception": "recepcion@sonrisa.example", "practitioner": "lucia.fernandez@sonrisa.example",
          "other_practitioner": "javier.morales@sonrisa.example", "patient": "paciente@sonrisa.example"}


@pytest.fixture
def records(clinic_a):
    seed_records(clinic_a)
    with clinic_context(clinic_a):
        featured = Patient.objects.get(user__email="paciente@sonrisa.example")
        other = Patient.objects.filter(email__contains="@pacientes.", visits__isnull=False).distinct().order_by("pk").first()
    return {"clinic": clinic_a, "patient": featured, "other": other}


@pytest.fixture
def as_role(clinic_a, host_client, password):
    clients = {}

    def make(role):
        if role not in clients:
            client = host_client(clinic_a.primary_host)
            if role != "anonymous":
                response = client.post("/accounts/login/", {"login": EMAILS[role], "password": password})
                assert response.status_code == HTTPStatus.FOUND, role
            clients[role] = client
        return clients[role]

    return make


def refused(response) -> bool:
    """The request was turned away: 403/404, or Wagtail's redirect of a refused staff member
    to the dashboard (or of a stranger to sign in)."""
    if response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND):
        return True
    return response.status_code == HTTPStatus.FOUND and response["Location"].split("?")[0] in ("/admin/", "/accounts/login/", "/admin/login/")
