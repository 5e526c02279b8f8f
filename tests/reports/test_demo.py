"""Issue 12, item 3: seed_demo's year of activity gives every report something to show,
quickly, once, keeping the invoice chain whole."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.costs_demo import seed_costs
from clinic.inventory.demo import seed_inventory
from clinic.reports.base import REGISTRY, Filters
from clinic.reports.filters import default_range
from portal.tenancy import clinic_context, clinic_zone
from tenants.demo_activity import seed_activity

pytestmark = pytest.mark.django_db


def test_a_year_of_activity_fills_every_report(clinic_b):
    from clinic.models import Appointment, Estimate, Invoice, PatientPayment

    # The stock and the costs seed_demo adds, for the two clinic-wide reports. The inventory
    # first: after the year of activity it would consume every visit of it (about 3 minutes).
    seed_inventory(clinic_b)
    seed_costs(clinic_b)
    started = time.perf_counter()
    added = seed_activity(clinic_b)
    took = time.perf_counter() - started
    assert added > 3000 and took < 60, (added, took)  # about 10 s alone on two cores
    assert seed_activity(clinic_b) == 0  # once
    with clinic_context(clinic_b):
        zone = clinic_zone()
        start, end = default_range(timezone.localdate(timezone=zone))
        filters = Filters(start=start, end=end, zone=zone, currency=clinic_b.currency)
        for slug, cls in REGISTRY.items():
            rows = cls().rows(filters)
            numbers = [v for row in rows for k, v in row.items() if not isinstance(v, str) and k not in ("month", "week", "_id")]
            assert any(numbers), slug
        finance = REGISTRY["finanzas-mensuales"]().rows(filters)
        assert all(any(row[key] for row in finance) for key in ("collected", "expected", "expenses", "pay")), finance
        stock = REGISTRY["inventario-valor-y-consumo"]().rows(filters)
        assert any(row["used"] for row in stock) and any(row["value"] for row in stock), stock
        assert Invoice.verify_chain() == [] and Invoice.objects.filter(kind=Invoice.Kind.CREDIT).exists()
        statuses = set(Appointment.objects.values_list("status", flat=True))
        assert {"completed", "no_show", "cancelled"} <= statuses
        assert set(PatientPayment.objects.values_list("method", flat=True)) >= {"card", "cash", "online"}
        assert Estimate.objects.filter(status=Estimate.Status.ACCEPTED).count() > 5
        last = Appointment.objects.order_by("-start").first()
        assert timezone.localdate(last.start, zone) <= timezone.localdate(timezone=zone) - timedelta(days=9)
