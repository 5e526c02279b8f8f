"""Issue 12, item 1: completing a visit consumes its service's bill of materials, once,
earliest expiry first, and never stops the visit from being completed."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from wagtail.models import ModelLogEntry

from clinic.actions import CompleteAppointment
from clinic.actions.appointments import appointment_completed
from clinic.actions.base import ActionError
from clinic.inventory import queries
from clinic.inventory.actions import AdjustStock, consume_for_appointment
from clinic.inventory.models import ServiceSupply, StockMovement
from tests.helpers import login, text

pytestmark = pytest.mark.django_db


def consumed(visit):
    return list(StockMovement.objects.filter(appointment=visit).order_by("pk").values_list("supply__name", "lot__code", "quantity", "shortfall"))


def test_completing_the_visit_consumes_its_bill_once(stock, visit):
    gloves, carpules, lucia = stock["gloves"], stock["carpules"], stock["users"]["practitioner"]
    ServiceSupply.objects.create(service=visit.service, supply=gloves, quantity=Decimal("0.5"))
    ServiceSupply.objects.create(service=visit.service, supply=carpules, quantity=Decimal("2"))
    CompleteAppointment(visit, actor=lucia).execute()
    gloves.refresh_from_db()
    carpules.refresh_from_db()
    assert (gloves.stock, carpules.stock) == (Decimal("9.5"), Decimal("23"))
    assert sorted(consumed(visit)) == [("Articaína de prueba", "A-SOON", Decimal("-2"), Decimal("0")), ("Guantes de prueba", None, Decimal("-0.5"), Decimal("0"))]
    assert set(StockMovement.objects.filter(appointment=visit).values_list("kind", "author")) == {("consumption", lucia.pk)}
    (entry,) = ModelLogEntry.objects.filter(action="inventory.stock.consume", object_id=str(visit.pk), content_type__model="appointment")
    assert entry.user_id == lucia.pk and len(entry.data["movements"]) == 2

    # Completing again is refused by the agenda; a replayed signal or a direct call consumes nothing more.
    with pytest.raises(ActionError):
        CompleteAppointment(visit, actor=lucia).execute()
    appointment_completed.send(sender=CompleteAppointment, appointment=visit, actor=lucia)
    assert consume_for_appointment(visit, actor=None) == []
    gloves.refresh_from_db()
    assert gloves.stock == Decimal("9.5") and len(consumed(visit)) == 2
    assert ModelLogEntry.objects.filter(action="inventory.stock.consume", object_id=str(visit.pk)).count() == 1


def test_the_database_refuses_a_second_consumption_of_a_supply_for_one_visit(stock, visit):
    ServiceSupply.objects.create(service=visit.service, supply=stock["gloves"], quantity=Decimal("1"))
    CompleteAppointment(visit, actor=stock["users"]["practitioner"]).execute()
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(supply=stock["gloves"], kind="consumption", quantity=Decimal("-1"), stock_after=Decimal("8"), appointment=visit)


def test_a_short_supply_never_blocks_the_visit_and_the_shortfall_is_visible(stock, visit, client_a, password):
    gloves, lucia = stock["gloves"], stock["users"]["practitioner"]
    ServiceSupply.objects.create(service=visit.service, supply=gloves, quantity=Decimal("12"))
    CompleteAppointment(visit, actor=lucia).execute()
    visit.refresh_from_db()
    gloves.refresh_from_db()
    assert visit.status == "completed"
    assert (gloves.stock, gloves.shortfall) == (Decimal("0"), Decimal("2"))
    assert consumed(visit) == [("Guantes de prueba", None, Decimal("-10"), Decimal("2"))]
    assert gloves in queries.low_stock()

    login(client_a, "admin@sonrisa.example", password)
    page = text(client_a.get(reverse("inventory:low_stock"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Guantes de prueba Pruebas 0 boxes 3 2" in page
    page = text(client_a.get(reverse("inventory:supply", args=[gloves.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Completed visits used 2 boxes more than was in stock." in page and "short by 2" in page

    # A count puts the truth back: the shortfall is cleared; the supply stays low (0 ≤ 3) until a delivery.
    AdjustStock(gloves, quantity=Decimal("1"), reason="Recuento", actor=stock["users"]["admin"]).execute()
    gloves.refresh_from_db()
    assert (gloves.stock, gloves.shortfall) == (Decimal("1"), Decimal("0"))


def test_lots_are_consumed_earliest_expiry_first_and_a_short_lot_supply_records_the_rest(stock, visit):
    carpules = stock["carpules"]
    ServiceSupply.objects.create(service=visit.service, supply=carpules, quantity=Decimal("27"))
    CompleteAppointment(visit, actor=stock["users"]["practitioner"]).execute()
    assert consumed(visit) == [("Articaína de prueba", "A-SOON", Decimal("-5"), Decimal("0")), ("Articaína de prueba", "B-LATE", Decimal("-20"), Decimal("2"))]
    carpules.refresh_from_db()
    assert (carpules.stock, carpules.shortfall) == (Decimal("0"), Decimal("2"))
    assert list(StockMovement.objects.filter(appointment=visit).order_by("pk").values_list("stock_after", flat=True)) == [Decimal("20"), Decimal("0")]


def test_nothing_is_consumed_for_a_visit_not_completed_or_an_inactive_supply(stock, visit):
    gloves, carpules = stock["gloves"], stock["carpules"]
    ServiceSupply.objects.create(service=visit.service, supply=gloves, quantity=Decimal("1"))
    ServiceSupply.objects.create(service=visit.service, supply=carpules, quantity=Decimal("1"))
    assert consume_for_appointment(visit) == []
    type(carpules).objects.filter(pk=carpules.pk).update(active=False)
    CompleteAppointment(visit, actor=stock["users"]["practitioner"]).execute()
    assert consumed(visit) == [("Guantes de prueba", None, Decimal("-1"), Decimal("0"))]


def test_completing_from_the_agenda_consumes_the_bill(stock, visit, client_a, password):
    ServiceSupply.objects.create(service=visit.service, supply=stock["gloves"], quantity=Decimal("1"))
    login(client_a, "lucia.fernandez@sonrisa.example", password)
    response = client_a.post(reverse("clinic_agenda:status", args=[visit.pk]), {"to": "completed"})
    assert response.status_code == HTTPStatus.FOUND
    stock["gloves"].refresh_from_db()
    assert stock["gloves"].stock == Decimal("9")
    assert StockMovement.objects.get(appointment=visit).author == stock["users"]["practitioner"]
