"""Issue 12, item 3: the monthly finance and the inventory reports, against the month
boundary of tests/reports/conftest.py plus the clinic's costs and stock, in Madrid (EUR)
and Mexico City (MXN).

On top of the boundary's money (collected: January 1,099 = 100 at 23:40 on 31/01 + the
other practitioner's 999; February 130 = 100 at 00:40 on 01/02 + 60 − the refund of 30;
invoiced: January 100, February −100 + 121 = 21), made through the real actions:

- expenses (SaveExpense): 1,000 due 31/01/2025 (paid), 200 due 01/02/2025 (unpaid),
  and 50 due 01/03/2025 (outside the range);
- pay (SavePayAgreement, GeneratePayStatements, ApprovePayStatement): Dra. Informe on a
  fixed 1,500 a month from January 2025; January's statement approved, February's a draft;
- stock (ReceiveStock, consume_for_appointment, UseStock): "Articaína
  (prueba)" (Anestesia (prueba), 0.80 a cartridge) and "Guantes (prueba)" (Protección
  (prueba), 6.50 a box); 10 and 4 received; the service's bill of materials takes 2 and 3
  of them; the visit completed at 23:50 on 31/01 (a1) takes 2 + 3, the one completed at
  00:50 on 01/02 (a2) takes 2 + the last glove box, 2 short; 1 cartridge used by hand
  today (outside the range). Now in stock: 5 cartridges (4.00) and no gloves.
"""

import re
from datetime import date, datetime, time
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest

from clinic.reports.base import REGISTRY, Filters
from portal.tenancy import clinic_context
from tests.helpers import login, text

from tests.reports.test_pages import refused, url

pytestmark = pytest.mark.django_db

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)
RANGE = {"desde": "2025-01-01", "hasta": "2025-02-28"}
FINANCE, INVENTORY = "finanzas-mensuales", "inventario-valor-y-consumo"


@pytest.fixture(params=["clinic_a", "clinic_b"])
def clinic(request):
    return request.getfixturevalue(request.param)


def add_costs_and_stock(clinic, data):
    """The costs and stock above, in ``clinic``, through the actions; the names made."""
    from clinic.actions.costs import ApprovePayStatement, GeneratePayStatements, SaveExpense, SavePayAgreement
    from clinic.inventory.actions import ReceiveStock, UseStock, consume_for_appointment
    from clinic.inventory.models import ServiceSupply, Supply, SupplyCategory
    from clinic.models import Appointment, Expense, ExpenseCategory, PayAgreement, PayStatement
    from portal.models import User

    zone = data["zone"]
    admin = User.objects.get(email=f"admin@{clinic.slug}.example")
    rent = ExpenseCategory.objects.create(name="Alquiler (prueba)")
    for amount, due, paid in (("1000", date(2025, 1, 31), date(2025, 2, 2)), ("200", date(2025, 2, 1), None), ("50", date(2025, 3, 1), None)):
        SaveExpense(Expense(category=rent, description=f"Gasto {amount}", amount=Decimal(amount), due_date=due, paid_date=paid), actor=admin).execute()
    SavePayAgreement(PayAgreement(practitioner=data["doctor"], model=PayAgreement.Model.FIXED, fixed_amount=Decimal("1500"),
                                  effective_from=JAN), actor=admin).execute()
    for month in (JAN, FEB):
        GeneratePayStatements(month=month, actor=admin).execute()
    ApprovePayStatement(PayStatement.objects.get(practitioner=data["doctor"], month=JAN), actor=admin).execute()

    anaesthesia, protection = SupplyCategory.objects.create(name="Anestesia (prueba)"), SupplyCategory.objects.create(name="Protección (prueba)")
    cartridges = Supply.objects.create(name="Articaína (prueba)", category=anaesthesia, unit=Supply.Unit.CARTRIDGE, cost_price=Decimal("0.80"))
    gloves = Supply.objects.create(name="Guantes (prueba)", category=protection, unit=Supply.Unit.BOX, cost_price=Decimal("6.50"))
    ReceiveStock(cartridges, quantity=Decimal("10"), actor=admin).execute()
    ReceiveStock(gloves, quantity=Decimal("4"), actor=admin).execute()
    ServiceSupply.objects.create(service=data["service"], supply=cartridges, quantity=Decimal("2"))
    ServiceSupply.objects.create(service=data["service"], supply=gloves, quantity=Decimal("3"))
    for key, day, hour, minute in ((1, date(2025, 1, 31), 23, 50), (2, date(2025, 2, 1), 0, 50)):
        Appointment.objects.filter(pk=data["appointments"][key].pk).update(completed_at=datetime.combine(day, time(hour, minute), zone))
        assert consume_for_appointment(Appointment.objects.get(pk=data["appointments"][key].pk))
    UseStock(Supply.objects.get(pk=cartridges.pk), quantity=Decimal("1"), reason="Caducada", actor=admin).execute()
    return {"admin": admin, "cartridges": cartridges, "gloves": gloves}


@pytest.fixture
def costs(boundary):
    """``costs(clinic)``: the boundary and the costs and stock in ``clinic``."""

    def make(clinic):
        data = boundary(clinic)
        with clinic_context(clinic):
            data.update(add_costs_and_stock(clinic, data))
        return data

    return make


def rows(clinic, slug, start, end, practitioner=None):
    with clinic_context(clinic):
        filters = Filters(start=start, end=end, practitioner=practitioner, zone=ZoneInfo(clinic.time_zone), currency=clinic.currency)
        report = REGISTRY[slug]()
        found = report.rows(filters)
        return found, report.totals(found)


def mine(found):
    return [r for r in found if r["category"].endswith("(prueba)")]


def test_monthly_finance_by_local_month(clinic, costs):
    data = costs(clinic)
    found, totals = rows(clinic, FINANCE, date(2025, 1, 1), date(2025, 2, 28))
    assert found == [
        {"month": JAN, "collected": Decimal("1099.00"), "expected": Decimal("100.00"), "expenses": Decimal("1000.00"), "pay": Decimal("1500.00"),
         "balance": Decimal("-1401.00"), "draft_pay": Decimal("0.00")},
        {"month": FEB, "collected": Decimal("130.00"), "expected": Decimal("21.00"), "expenses": Decimal("200.00"), "pay": Decimal("0.00"),
         "balance": Decimal("-70.00"), "draft_pay": Decimal("1500.00")},
    ]
    assert totals == {"collected": Decimal("1229.00"), "expected": Decimal("121.00"), "expenses": Decimal("1200.00"), "pay": Decimal("1500.00"),
                      "balance": Decimal("-1471.00"), "draft_pay": Decimal("1500.00")}
    # The practitioner filter does not reach it: the clinic's figures whoever is asked for.
    assert rows(clinic, FINANCE, date(2025, 1, 1), date(2025, 2, 28), data["doctor"]) == (found, totals)
    # Collected is the revenue report's, the very same figures.
    revenue, _ = rows(clinic, "ingresos-por-mes", date(2025, 1, 1), date(2025, 2, 28))
    assert [(r["collected"], r["invoiced"]) for r in revenue] == [(r["collected"], r["expected"]) for r in found]


def test_inventory_value_and_consumption_by_local_instant(clinic, costs):
    costs(clinic)
    found, _ = rows(clinic, INVENTORY, date(2025, 1, 1), date(2025, 2, 28))
    assert mine(found) == [
        {"category": "Protección (prueba)", "supplies": 1, "value": Decimal("0.00"), "used": Decimal("26.00"), "short": 1},
        {"category": "Anestesia (prueba)", "supplies": 1, "value": Decimal("4.00"), "used": Decimal("3.20"), "short": 0},
    ]
    # 23:50 on 31 January is January's, 00:50 on 1 February February's, in the clinic's zone.
    january, _ = rows(clinic, INVENTORY, date(2025, 1, 1), date(2025, 1, 31))
    february, _ = rows(clinic, INVENTORY, date(2025, 2, 1), date(2025, 2, 28))
    assert [(r["category"], r["used"], r["short"]) for r in mine(january)] == [("Protección (prueba)", Decimal("19.50"), 0),
                                                                               ("Anestesia (prueba)", Decimal("1.60"), 0)]
    assert [(r["category"], r["used"], r["short"]) for r in mine(february)] == [("Protección (prueba)", Decimal("6.50"), 1),
                                                                                ("Anestesia (prueba)", Decimal("1.60"), 0)]


def test_the_totals_add_the_rows(clinic, costs):
    costs(clinic)
    found, totals = rows(clinic, INVENTORY, date(2025, 1, 1), date(2025, 2, 28))
    assert totals == {"supplies": sum(r["supplies"] for r in found), "value": sum(r["value"] for r in found), "used": Decimal("29.20"),
                      "short": 1}


def test_admin_page_table_totals_chart_and_note(client_a, clinic_a, costs, password):
    costs(clinic_a)
    login(client_a, "admin@sonrisa.example", password)
    index = client_a.get(url("ingresos-por-mes").split("ingresos-por-mes")[0]).content.decode()
    assert url(FINANCE) in index and url(INVENTORY) in index
    page = client_a.get(url(FINANCE, **RANGE))
    html = page.content.decode()
    assert page.status_code == HTTPStatus.OK
    assert 'name="profesional"' not in html and "no tiene filtro de profesional" in text(page)
    assert "Clínica completa" in text(page)
    words = text(page).replace("\u00a0", " ")
    assert ("Ene 2025 1.099,00 € 100,00 € 1.000,00 € 1.500,00 € -1.401,00 € 0,00 € "
            "Feb 2025 130,00 € 21,00 € 200,00 € 0,00 € -70,00 € 1.500,00 € "
            "Total 1.229,00 € 121,00 € 1.200,00 € 1.500,00 € -1.471,00 € 1.500,00 €") in words
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart".*?</svg>', html, re.S).group(0)
    assert '<title id="chart-finanzas-mensuales-title">Finanzas mensuales</title>' in svg and ">Mes</text>" in svg and ">Importe</text>" in svg
    start = html.index('<div class="report-table">')
    table = html[start:html.index("</table>", start)]
    bars = re.findall(r"<title>([^<]*)</title></rect>", svg)
    assert len(bars) == 8  # two months × collected, expenses, pay, balance
    for bar in bars:
        figure = bar.split(": ")[-1]
        assert figure in table, bar
    assert "Feb 2025 · Saldo: -70,00\u00a0€" in bars
    inventory = client_a.get(url(INVENTORY, **RANGE))
    assert inventory.status_code == HTTPStatus.OK and "Protección (prueba) 1 0,00 € 26,00 € 1" in text(inventory).replace("\u00a0", " ")
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart".*?</svg>', inventory.content.decode(), re.S).group(0)
    assert "<title>Protección (prueba) · Usado en el periodo: 26,00\u00a0€</title>" in svg
    assert "<title>Anestesia (prueba) · Usado en el periodo: 3,20\u00a0€</title>" in svg


def test_csv_is_exact(client_a, clinic_a, costs, password):
    data = costs(clinic_a)
    login(client_a, "admin@sonrisa.example", password)
    response = client_a.get(url(FINANCE, "csv", **RANGE, profesional=data["doctor"].pk))
    assert response.status_code == HTTPStatus.OK and 'filename="finanzas-mensuales_2025-01-01_2025-02-28.csv"' in response["Content-Disposition"]
    assert response.content.decode() == (
        "Mes,Cobrado,Ingresos previstos,Gastos,Retribuciones,Saldo,Retribuciones en borrador (no contadas)\r\n"
        "2025-01,1099.00,100.00,1000.00,1500.00,-1401.00,0.00\r\n"
        "2025-02,130.00,21.00,200.00,0.00,-70.00,1500.00\r\n"
        "Total,1229.00,121.00,1200.00,1500.00,-1471.00,1500.00\r\n")
    lines = client_a.get(url(INVENTORY, "csv", **RANGE)).content.decode().split("\r\n")
    assert lines[0] == "Categoría,Materiales,Valor de las existencias ahora,Usado en el periodo,Usado sin existencias"
    assert lines[1:3] == ["Protección (prueba),1,0.00,26.00,1", "Anestesia (prueba),1,4.00,3.20,0"]
    assert lines[-2].startswith("Total,") and lines[-2].endswith(",29.20,1") and lines[-1] == ""


def test_pdf(client_a, clinic_a, costs, password):
    costs(clinic_a)
    login(client_a, "admin@sonrisa.example", password)
    for slug, words in ((FINANCE, ("Finanzas mensuales", "Saldo", "-1.401,00 EUR", "Total", "1.229,00 EUR", "Clínica completa")),
                        (INVENTORY, ("Inventario: valor y consumo", "Protección", "Usado sin existencias", "26,00 EUR", "29,20 EUR"))):
        response = client_a.get(url(slug, "pdf", **RANGE))
        assert response.status_code == HTTPStatus.OK and response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
        for word in words:
            assert word.encode("latin-1") in response.content.replace(b"\xa0", b" "), (slug, word)


def test_mexico_writes_pesos_and_never_counts_madrid(client_b, clinic_a, clinic_b, costs, password):
    costs(clinic_a)
    costs(clinic_b)
    login(client_b, "admin@alamos.example", password)
    csv = client_b.get(url(FINANCE, "csv", **RANGE)).content.decode()
    assert csv.endswith("Total,1229.00,121.00,1200.00,1500.00,-1471.00,1500.00\r\n")  # once, not twice
    page = text(client_b.get(url(FINANCE, **RANGE))).replace("\u00a0", " ")
    assert "$1,229.00" in page and "€" not in page
    inventory = client_b.get(url(INVENTORY, "csv", **RANGE)).content.decode()
    assert "Protección (prueba),1,0.00,26.00,1\r\n" in inventory and inventory.count("Protección (prueba)") == 1


def test_only_clinic_admins(client_a, clinic_a, costs, password):
    data = costs(clinic_a)
    people = (("recepcion@sonrisa.example", password), (data["user"].email, "Test-Password-2026"), ("paciente@sonrisa.example", password))
    for email, secret in people:
        login(client_a, email, secret)
        index = client_a.get(url("ingresos-por-mes").split("ingresos-por-mes")[0])
        for slug in (FINANCE, INVENTORY):
            assert url(slug) not in index.content.decode(), (email, slug)
            for export in (None, "csv", "pdf"):
                assert refused(client_a.get(url(slug, export, **RANGE))), (email, slug, export)


@pytest.mark.parametrize("query", [{"desde": "2025-02-30"}, {"hasta": "2025-01-01\x00"}, {"desde": "2025-03-01", "hasta": "2025-02-01"},
                                   {"profesional": "1\x00"}, {"profesional": "99999999999999999999"}])
def test_malformed_filters_are_a_translated_400(client_a, password, query):
    login(client_a, "admin@sonrisa.example", password)
    for slug in (FINANCE, INVENTORY):
        for export in (None, "csv", "pdf"):
            response = client_a.get(url(slug, export, **query))
            assert response.status_code == HTTPStatus.BAD_REQUEST, (slug, query, export)
            assert re.search(r"AAAA-MM-DD|fecha de fin|profesional de la lista", text(response)), text(response)[:300]
