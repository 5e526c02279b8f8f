"""Shared set-up of the inventory tests: Clínica Dental Sonrisa with a few supplies."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic.inventory.actions import ReceiveStock
from clinic.inventory.models import Supply, SupplyCategory
from clinic.models import Appointment, Patient, Practitioner, Service
from portal.models import User

MADRID = ZoneInfo("Europe/Madrid")
EMAILS = {"admin": "admin@sonrisa.example", "reception": "recepcion@sonrisa.example", "practitioner": "lucia.fernandez@sonrisa.example",
          "patient": "paciente@sonrisa.example"}


@pytest.fixture
def stock(clinic_a, in_clinic):
    """Gloves (10 boxes, minimum 3) and an anaesthetic tracked by lots (lot A 5 carpules
    expiring in 30 days, lot B 20 expiring in a year), received by reception."""
    with in_clinic(clinic_a):
        users = {role: User.objects.get(email=email) for role, email in EMAILS.items()}
        category = SupplyCategory.objects.create(name="Pruebas")
        gloves = Supply.objects.create(name="Guantes de prueba", category=category, unit=Supply.Unit.BOX, minimum=Decimal("3"), cost_price=Decimal("6.90"))
        carpules = Supply.objects.create(name="Articaína de prueba", category=category, unit=Supply.Unit.CARTRIDGE, minimum=Decimal("10"),
                                         cost_price=Decimal("0.45"), tracks_lots=True)
        ReceiveStock(gloves, quantity=Decimal("10"), reason="Albarán 1", actor=users["reception"]).execute()
        today = timezone.localdate(timezone=MADRID)
        ReceiveStock(carpules, quantity=Decimal("20"), lot_code="B-LATE", expiry=today + timedelta(days=365), actor=users["reception"]).execute()
        ReceiveStock(carpules, quantity=Decimal("5"), lot_code="A-SOON", expiry=today + timedelta(days=30), actor=users["reception"]).execute()
        gloves.refresh_from_db()
        carpules.refresh_from_db()
        yield {"gloves": gloves, "carpules": carpules, "users": users, "clinic": clinic_a, "category": category, "today": today}


@pytest.fixture
def visit(stock):
    """An appointment for a filling with Lucía that started an hour ago, still confirmed."""
    service = Service.objects.get(slug="empaste-obturacion")
    lucia = Practitioner.objects.get(user__email=EMAILS["practitioner"])
    patient = Patient.objects.get(email=EMAILS["patient"])
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    return Appointment.objects.create(patient=patient, practitioner=lucia, service=service, start=start, end=start + timedelta(minutes=30),
                                      price=Decimal("70"), status=Appointment.Status.CONFIRMED)


def at(day, hour=10):
    return datetime.combine(day, time(hour), MADRID)
