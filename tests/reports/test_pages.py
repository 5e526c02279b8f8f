"""Issue 12, item 3: the report pages: who sees which report, the chart beside the same
figures as the table, the CSV and PDF, malformed filters, another clinic's data."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.reports.base import REGISTRY
from tests.helpers import login, text

pytestmark = pytest.mark.django_db

MONEY_REPORTS = {"ingresos-por-mes", "ingresos-por-servicio", "ingresos-por-profesional"}
RECEPTION_REPORTS = {"ocupacion-por-semana", "ocupacion-por-profesional", "ausencias-y-cancelaciones"}
RANGE = {"desde": "2025-01-01", "hasta": "2025-02-28"}


def refused(response) -> bool:
    """Wagtail's admin answers a refusal with a redirect to its home (or the sign-in)."""
    if response.status_code == HTTPStatus.FOUND:
        return response["Location"].split("?")[0] in ("/admin/", "/accounts/login/", "/admin/login/")
    return response.status_code == HTTPStatus.FORBIDDEN


def url(slug, export=None, **query):
    from urllib.parse import urlencode

    name = {None: "clinic_reports:report", "csv": "clinic_reports:csv", "pdf": "clinic_reports:pdf"}[export]
    return reverse(name, args=[slug]) + ("?" + urlencode(query) if query else "")


def test_clinic_admin_sees_every_report_with_the_figures_of_the_table_in_the_chart(client_a, clinic_a, boundary, password):
    data = boundary(clinic_a)
    login(client_a, "admin@sonrisa.example", password)
    index = client_a.get(reverse("clinic_reports:index"))
    assert index.status_code == HTTPStatus.OK
    assert all(reverse("clinic_reports:report", args=[slug]) in index.content.decode() for slug in REGISTRY)
    for slug in REGISTRY:
        assert client_a.get(url(slug)).status_code == HTTPStatus.OK, slug  # the default last 12 months
    page = client_a.get(url("ingresos-por-mes", **RANGE, profesional=data["doctor"].pk))
    html = page.content.decode()
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg and '<title id="chart-ingresos-por-mes-title">Ingresos por mes</title>' in svg and "<desc " in svg
    assert ">Mes</text>" in svg and ">Importe</text>" in svg  # axis titles
    table = html[html.index('<div class="report-table">'):]
    table = table[:table.index("</table>")]
    for figure in ("100,00\u00a0€", "21,00\u00a0€", "130,00\u00a0€"):
        assert figure in table and f": {figure}</title>" in svg
    assert "Ene 2025 100,00 € 100,00 € Feb 2025 21,00 € 130,00 €" in text(page).replace("\u00a0", " ")
    assert "Descargar CSV" in text(page) and "Descargar PDF" in text(page)


def test_names_are_escaped_in_the_chart_and_the_table(client_a, clinic_a, boundary, password):
    data = boundary(clinic_a)
    login(client_a, "admin@sonrisa.example", password)
    html = client_a.get(url("ingresos-por-servicio", **RANGE, profesional=data["doctor"].pk)).content.decode()
    assert "<b>&</b>" not in html and "Limpieza &lt;b&gt;&amp;&lt;/b&gt;" in html


def test_mexico_writes_pesos(client_b, clinic_b, boundary, password):
    data = boundary(clinic_b)
    login(client_b, "admin@alamos.example", password)
    html = client_b.get(url("ingresos-por-mes", **RANGE, profesional=data["doctor"].pk)).content.decode()
    assert "$121.00" not in html and "$21.00" in html and "$130.00" in html


def test_csv_is_exact(client_a, clinic_a, boundary, password):
    data = boundary(clinic_a)
    login(client_a, "admin@sonrisa.example", password)
    response = client_a.get(url("ingresos-por-mes", "csv", **RANGE, profesional=data["doctor"].pk))
    assert response.status_code == HTTPStatus.OK and response["Content-Type"].startswith("text/csv")
    assert 'filename="ingresos-por-mes_2025-01-01_2025-02-28.csv"' in response["Content-Disposition"]
    assert response.content.decode() == "Mes,Facturado,Cobrado\r\n2025-01,100.00,100.00\r\n2025-02,21.00,130.00\r\n"
    weeks = client_a.get(url("ocupacion-por-semana", "csv", desde="2025-01-27", hasta="2025-02-09", profesional=data["doctor"].pk))
    assert weeks.content.decode() == "Semana del,Reservado,Disponible,Ocupación\r\n2025-01-27,90,240,37.5\r\n2025-02-03,90,420,21.4\r\n"


def test_pdf_has_the_title(client_a, clinic_a, boundary, password):
    data = boundary(clinic_a)
    login(client_a, "admin@sonrisa.example", password)
    response = client_a.get(url("servicios-mas-realizados", "pdf", **RANGE, profesional=data["doctor"].pk))
    assert response.status_code == HTTPStatus.OK and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "Servicios más realizados".encode("latin-1") in response.content
    monthly = client_a.get(url("ingresos-por-mes", "pdf", **RANGE, profesional=data["doctor"].pk)).content
    for words in ("Ingresos por mes", "Importe", "Mes", "Facturado", "Cobrado", "130,00 EUR", "Dra. Informe Prueba"):  # the chart's axes and legend, the table
        assert words.encode("latin-1") in monthly.replace(b"\xa0", b" "), words


def test_reception_sees_occupancy_and_attendance_only(client_a, password):
    login(client_a, "recepcion@sonrisa.example", password)
    index = client_a.get(reverse("clinic_reports:index")).content.decode()
    for slug in REGISTRY:
        assert (reverse("clinic_reports:report", args=[slug]) in index) == (slug in RECEPTION_REPORTS), slug
        for export in (None, "csv", "pdf"):
            response = client_a.get(url(slug, export))
            assert response.status_code == HTTPStatus.OK if slug in RECEPTION_REPORTS else refused(response), (slug, export)


def test_a_practitioner_sees_only_their_own_numbers_and_no_plan_money(client_a, clinic_a, boundary):
    data = boundary(clinic_a)
    login(client_a, data["user"].email, "Test-Password-2026")
    # Asking for another practitioner (or everyone) still gives their own numbers.
    response = client_a.get(url("ingresos-por-mes", "csv", **RANGE, profesional=data["other"].pk))
    assert response.content.decode() == "Mes,Facturado,Cobrado\r\n2025-01,100.00,100.00\r\n2025-02,21.00,130.00\r\n"
    assert client_a.get(url("ingresos-por-mes", "csv", **RANGE)).content == response.content
    plans = client_a.get(url("aceptacion-de-planes", "csv", **RANGE)).content.decode()
    assert plans == "Mes,Presentados,Aceptados,Rechazados,Tasa de aceptación\r\n2025-01,1,1,0,100.0\r\n2025-02,2,0,1,0.0\r\n"
    top = client_a.get(url("servicios-mas-realizados", **RANGE))
    assert "Valor" not in text(top) and "500,00" not in text(top) and 'name="profesional"' not in top.content.decode()


def test_patients_and_other_clinics_see_nothing(client_a, client_b, clinic_a, clinic_b, boundary, password):
    boundary(clinic_a)
    boundary(clinic_b)
    login(client_a, "paciente@sonrisa.example", password)
    assert refused(client_a.get(reverse("clinic_reports:index"))) and refused(client_a.get(url("ingresos-por-mes", "csv")))
    login(client_b, "admin@alamos.example", password)
    # Alamos' practitioner id is not a practitioner of Sonrisa's schema, and Sonrisa's money is not in Alamos' totals.
    csv = client_b.get(url("ingresos-por-profesional", "csv", **RANGE)).content.decode()
    assert "Dra. Informe Prueba,121.00,230.00" in csv and "999.00" in csv and csv.count("Dra. Informe Prueba") == 1


@pytest.mark.parametrize("query", [
    {"desde": "2025-02-30"}, {"desde": "2025-13-01"}, {"hasta": "2025-01-01\x00"}, {"desde": "\x00"}, {"desde": "20250101"},
    {"desde": "2025-03-01", "hasta": "2025-02-01"}, {"desde": "2015-01-01", "hasta": "2025-01-01"}, {"desde": "1900-01-01"},
    {"profesional": "abc"}, {"profesional": "99999999999999999999"}, {"profesional": "987654"}, {"profesional": "1\x00"},
    {"profesional": "-1"}, {"desde": "٢٠٢٥-٠١-٠١"},
])
def test_malformed_filters_are_a_translated_400(client_a, password, query):
    login(client_a, "admin@sonrisa.example", password)
    for export in (None, "csv", "pdf"):
        response = client_a.get(url("ingresos-por-mes", export, **query))
        assert response.status_code == HTTPStatus.BAD_REQUEST, (query, export)
        assert re.search(r"AAAA-MM-DD|fecha de fin|cinco años|entre 2000 y 2100|profesional de la lista", text(response)), text(response)[:300]


def test_the_menu_has_informes(client_a, password):
    login(client_a, "recepcion@sonrisa.example", password)
    home = client_a.get("/admin/").content.decode()
    assert "Informes" in home and reverse("clinic_reports:index") in home
