"""Issue 12, item 3: the revenue chart on the staff dashboard (Wagtail's home). A clinic
admin sees the last twelve months of "Revenue by month" with the totals, the chart, the
same figures in a table and the CSV and PDF links; a practitioner sees only their own;
reception does not see it. A payment received today moves the collected total by exactly
its amount."""

import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.utils import timezone

from clinic.models import Patient, PatientPayment
from portal.money import format_money
from portal.tenancy import clinic_context
from tests.helpers import login, text

pytestmark = pytest.mark.django_db


def collected_total(page) -> str:
    return re.search(r"<strong>Cobrado</strong>: ([^<·]+?)\s*(?:·|</p>)", page.content.decode()).group(1).strip()


def money_value(written: str) -> Decimal:
    return Decimal(written.replace("\u00a0", "").replace("€", "").replace(".", "").replace(",", "."))


def test_the_clinic_admin_reads_the_revenue_chart_on_the_dashboard(client_a, clinic_a, password):
    login(client_a, "admin@sonrisa.example", password)
    page = client_a.get("/admin/")
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "Ingresos de los últimos doce meses" in text(page)
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and ">Mes</text>" in svg and ">Importe</text>" in svg
    assert len(re.findall(r"<tr><th scope=\"row\">", html)) == 12  # a row per month of the table beside it
    assert "/admin/informes/ingresos-por-mes/csv/?desde=" in html and "/admin/informes/ingresos-por-mes/pdf/?desde=" in html
    before = money_value(collected_total(page))

    with clinic_context(clinic_a):
        patient = Patient.objects.create(first_name="Panel", last_name="Ingresos")
        PatientPayment.objects.create(patient=patient, amount=Decimal("1234.56"), currency="EUR", method=PatientPayment.Method.CASH,
                                      received_at=timezone.now())
    after = client_a.get("/admin/")
    assert money_value(collected_total(after)) == before + Decimal("1234.56")
    assert format_money(before + Decimal("1234.56"), "EUR") in after.content.decode()


def test_a_practitioner_sees_their_own_and_reception_none(client_a, clinic_a, password):
    login(client_a, "lucia.fernandez@sonrisa.example", password)
    own = client_a.get("/admin/")
    assert "Ingresos de los últimos doce meses · los suyos" in text(own)
    client_a.logout()
    login(client_a, "recepcion@sonrisa.example", password)
    page = client_a.get("/admin/")
    assert page.status_code == HTTPStatus.OK and "revenue-heading" not in page.content.decode()
