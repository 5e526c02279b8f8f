"""Issue 12, item 3: each report's numbers against the hand-built month boundary of
tests/reports/conftest.py, in Madrid (EUR) and in Mexico City (MXN)."""

from datetime import date
from decimal import Decimal

import pytest

from clinic.reports.base import REGISTRY, Filters
from portal.tenancy import clinic_context

pytestmark = pytest.mark.django_db

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


@pytest.fixture(params=["clinic_a", "clinic_b"])
def clinic(request):
    return request.getfixturevalue(request.param)


def rows(clinic, slug, start, end, practitioner):
    from zoneinfo import ZoneInfo

    with clinic_context(clinic):
        filters = Filters(start=start, end=end, practitioner=practitioner, zone=ZoneInfo(clinic.time_zone), currency=clinic.currency)
        return REGISTRY[slug]().rows(filters)


def test_revenue_by_month_by_local_date(clinic, boundary):
    data = boundary(clinic)
    found = rows(clinic, "ingresos-por-mes", date(2025, 1, 1), date(2025, 2, 28), data["doctor"])
    assert found == [{"month": JAN, "invoiced": Decimal("100.00"), "collected": Decimal("100.00")},
                     {"month": FEB, "invoiced": Decimal("21.00"), "collected": Decimal("130.00")}]
    everyone = rows(clinic, "ingresos-por-mes", date(2025, 1, 1), date(2025, 1, 31), None)
    assert everyone[0]["collected"] == Decimal("1099.00")  # the other practitioner's 999 too


def test_revenue_by_service_and_practitioner(clinic, boundary):
    data = boundary(clinic)
    by_service = rows(clinic, "ingresos-por-servicio", date(2025, 1, 1), date(2025, 2, 28), data["doctor"])
    assert [(r["service"], r["invoiced"], r["collected"]) for r in by_service] == [(data["service"].name, Decimal("121.00"), Decimal("230.00"))]
    by_practitioner = rows(clinic, "ingresos-por-profesional", date(2025, 1, 1), date(2025, 2, 28), None)
    mine = [r for r in by_practitioner if r["practitioner"] == "Dra. Informe Prueba"]
    assert [(r["invoiced"], r["collected"]) for r in mine] == [(Decimal("121.00"), Decimal("230.00"))]
    other = [r for r in by_practitioner if r["practitioner"] == data["other"].display_name]
    assert other[0]["collected"] == Decimal("999.00") and other[0]["invoiced"] == 0


def test_occupancy_by_week_and_practitioner(clinic, boundary):
    data = boundary(clinic)
    weeks = rows(clinic, "ocupacion-por-semana", date(2025, 1, 27), date(2025, 2, 9), data["doctor"])
    assert weeks == [{"week": date(2025, 1, 27), "booked": 90, "available": 240, "occupancy": Decimal("37.5")},
                     {"week": date(2025, 2, 3), "booked": 90, "available": 420, "occupancy": Decimal("21.4")}]
    [mine] = rows(clinic, "ocupacion-por-profesional", date(2025, 1, 27), date(2025, 2, 9), data["doctor"])
    assert mine == {"practitioner": "Dra. Informe Prueba", "booked": 180, "available": 660, "occupancy": Decimal("27.3")}


def test_no_shows_and_late_cancellations(clinic, boundary):
    data = boundary(clinic)
    found = rows(clinic, "ausencias-y-cancelaciones", date(2025, 1, 1), date(2025, 2, 28), data["doctor"])
    assert found == [
        {"month": JAN, "due": 1, "no_shows": 0, "late": 0, "no_show_rate": Decimal("0.0"), "late_rate": Decimal("0.0")},
        {"month": FEB, "due": 7, "no_shows": 1, "late": 1, "no_show_rate": Decimal("14.3"), "late_rate": Decimal("14.3")},
    ]


def test_new_and_returning_patients(clinic, boundary):
    data = boundary(clinic)
    found = rows(clinic, "pacientes-nuevos-y-recurrentes", date(2024, 12, 1), date(2025, 2, 28), data["doctor"])
    assert found == [{"month": date(2024, 12, 1), "new": 1, "returning": 0}, {"month": JAN, "new": 1, "returning": 0},
                     {"month": FEB, "new": 1, "returning": 2}]


def test_top_services(clinic, boundary):
    data = boundary(clinic)
    found = rows(clinic, "servicios-mas-realizados", date(2025, 1, 1), date(2025, 2, 28), data["doctor"])
    assert found == [{"service": data["service"].name, "visits": 5, "value": Decimal("500.00")}]


def test_plan_acceptance(clinic, boundary):
    data = boundary(clinic)
    found = rows(clinic, "aceptacion-de-planes", date(2025, 1, 1), date(2025, 2, 28), data["doctor"])
    assert found == [{"month": JAN, "presented": 1, "accepted": 1, "rejected": 0, "rate": Decimal("100.0"), "value": Decimal("1000.00")},
                     {"month": FEB, "presented": 2, "accepted": 0, "rejected": 1, "rate": Decimal("0.0"), "value": Decimal("0.00")}]


def test_empty_period_gives_zero_rows_not_errors(clinic):
    found = rows(clinic, "ausencias-y-cancelaciones", date(2001, 3, 1), date(2001, 3, 31), None)
    assert found == [{"month": date(2001, 3, 1), "due": 0, "no_shows": 0, "late": 0, "no_show_rate": None, "late_rate": None}]
    assert rows(clinic, "servicios-mas-realizados", date(2001, 3, 1), date(2001, 3, 31), None) == []
