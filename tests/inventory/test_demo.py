"""Issue 12, item 1: the demo clinics' inventory fills every inventory screen, dental supplies
for the dental clinic and medical ones for the medical clinic, and seeding twice adds nothing."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.inventory import queries
from clinic.inventory.demo import seed_inventory
from clinic.inventory.models import ServiceSupply, StockMovement, Supply
from clinic.models import Appointment
from portal.tenancy import clinic_context
from tenants.demo_agenda import seed_agenda
from tests.helpers import login, text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("which,first,absent", [("a", "Articaína 4% con epinefrina (carpule)", "Vacuna"), ("b", "Vacuna contra la influenza (dosis)", "Articaína")])
def test_each_demo_clinic_gets_its_own_supplies_and_a_year_of_history(clinic_a, clinic_b, which, first, absent):
    clinic = clinic_a if which == "a" else clinic_b
    seed_agenda(clinic)
    assert seed_inventory(clinic) > 200
    with clinic_context(clinic):
        assert Supply.objects.filter(name=first).exists() and not Supply.objects.filter(name__startswith=absent).exists()
        oldest = StockMovement.objects.order_by("created_at").first().created_at
        assert oldest < timezone.now() - timedelta(days=330)
        assert StockMovement.objects.filter(kind="in").values("supply").distinct().count() == Supply.objects.count()
        assert queries.low_stock().count() >= 2
        today = queries.clinic_today()
        assert queries.expiring(today=today).filter(expiry__gte=today).exists() and queries.expired(today=today).exists()
        assert ServiceSupply.objects.values("service").distinct().count() >= 3
        # The last week's visits consumed their supplies; the year before stands in the history
        # (consuming a year of reports' visits emptied every shelf).
        completed = Appointment.objects.filter(status="completed", service__bill_of_materials__isnull=False,
                                               start__gte=timezone.now() - timedelta(days=7)).distinct()
        assert completed.exists()
        assert StockMovement.objects.filter(kind="consumption", appointment__in=completed).values("appointment").distinct().count() == completed.count()
        assert queries.stock_value() > 0
        assert queries.low_stock().count() * 2 < Supply.objects.count()  # most shelves stocked: a few low, not all
        before = (StockMovement.objects.count(), list(Supply.objects.values_list("stock", flat=True)))
    assert seed_inventory(clinic) == 0
    with clinic_context(clinic):
        assert (StockMovement.objects.count(), list(Supply.objects.values_list("stock", flat=True))) == before


def test_every_inventory_screen_shows_the_demo(clinic_a, client_a, password):
    seed_agenda(clinic_a)
    seed_inventory(clinic_a)
    login(client_a, "admin@sonrisa.example", password)
    with clinic_context(clinic_a):
        carpules = Supply.objects.get(name__startswith="Articaína")
        filling = ServiceSupply.objects.filter(supply=carpules).first().service
    pages = {
        reverse("inventory_supply:index"): "Articaína",
        reverse("inventory_supplycategory:index"): "Anestesia",
        reverse("inventory_stockmovement:index"): "usado en una visita",
        reverse("inventory:supply", args=[carpules.pk]): "CORTA",
        reverse("inventory:low_stock"): "Ácido grabador",
        reverse("inventory:expiring"): "CORTA",
        reverse("inventory:bills"): "Articaína",
        reverse("inventory:bill", args=[filling.pk]): "Articaína",
    }
    for url, word in pages.items():
        response = client_a.get(url)
        assert response.status_code == HTTPStatus.OK, url
        assert word in text(response), url
