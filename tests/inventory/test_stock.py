"""Issue 12, item 1: stock moves only through the actions, never below zero, and every
movement is signed, audited and frozen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from clinic.actions.base import ActionError, ActionPermissionDenied
from clinic.inventory import queries
from clinic.inventory.actions import AdjustStock, ReceiveStock, UseStock
from clinic.inventory.models import Lot, StockMovement, Supply

pytestmark = pytest.mark.django_db


def movements(supply):
    return list(StockMovement.objects.filter(supply=supply).order_by("pk").values_list("kind", "quantity", "stock_after", "lot__code"))


def test_receiving_and_using_move_the_stock_and_sign_each_movement(stock):
    gloves, users = stock["gloves"], stock["users"]
    UseStock(gloves, quantity=Decimal("2.5"), reason="Limpieza de gabinete", actor=users["practitioner"]).execute()
    gloves.refresh_from_db()
    assert gloves.stock == Decimal("7.5")
    assert movements(gloves) == [("in", Decimal("10"), Decimal("10"), None), ("out", Decimal("-2.5"), Decimal("7.5"), None)]
    last = StockMovement.objects.filter(supply=gloves).latest("pk")
    assert (last.author, last.reason, last.unit_cost) == (users["practitioner"], "Limpieza de gabinete", Decimal("6.90"))
    (entry,) = ModelLogEntry.objects.filter(action="inventory.stock.use", object_id=str(gloves.pk))
    assert entry.user_id == users["practitioner"].pk and entry.data["stock_after"] == "7.500"


def test_using_more_than_there_is_is_refused_by_name_and_changes_nothing(stock, english):
    gloves, users = stock["gloves"], stock["users"]
    with pytest.raises(ActionError) as refused:
        UseStock(gloves, quantity=Decimal("10.5"), reason="Demasiado", actor=users["practitioner"]).execute()
    assert refused.value.message == "Not enough “Guantes de prueba”: 10 boxes in stock, 10.5 asked for. Nothing was changed."
    gloves.refresh_from_db()
    assert gloves.stock == Decimal("10") and len(movements(gloves)) == 1
    assert not ModelLogEntry.objects.filter(action="inventory.stock.use").exists()


def test_the_refusal_is_in_spanish_for_a_spanish_page(stock):
    with translation.override("es"), pytest.raises(ActionError) as refused:
        UseStock(stock["gloves"], quantity=Decimal("11"), reason="x", actor=stock["users"]["admin"]).execute()
    assert refused.value.message == "No hay suficiente «Guantes de prueba»: 10 cajas en existencias, se piden 11. No se ha cambiado nada."


def test_the_database_refuses_a_negative_stock_even_around_the_actions(stock):
    with pytest.raises(IntegrityError), transaction.atomic():
        Supply.objects.filter(pk=stock["gloves"].pk).update(stock=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Lot.objects.filter(supply=stock["carpules"]).update(quantity=Decimal("-1"))


def test_lots_are_used_earliest_expiry_first_across_lots(stock):
    carpules, users = stock["carpules"], stock["users"]
    UseStock(carpules, quantity=Decimal("7"), reason="Campaña", actor=users["practitioner"]).execute()
    carpules.refresh_from_db()
    assert carpules.stock == Decimal("18")
    assert movements(carpules)[-2:] == [("out", Decimal("-5"), Decimal("20"), "A-SOON"), ("out", Decimal("-2"), Decimal("18"), "B-LATE")]
    assert dict(Lot.objects.filter(supply=carpules).values_list("code", "quantity")) == {"A-SOON": Decimal("0"), "B-LATE": Decimal("18")}


def test_a_chosen_lot_that_is_short_refuses_and_changes_nothing(stock, english):
    carpules, users = stock["carpules"], stock["users"]
    soon = Lot.objects.get(supply=carpules, code="A-SOON")
    with pytest.raises(ActionError) as refused:
        UseStock(carpules, quantity=Decimal("6"), lot=soon, reason="x", actor=users["practitioner"]).execute()
    assert "in lot A-SOON: 5 cartridges in stock, 6 asked for" in refused.value.message
    carpules.refresh_from_db()
    soon.refresh_from_db()
    assert (carpules.stock, soon.quantity) == (Decimal("25"), Decimal("5"))


def test_a_lot_received_again_adds_to_it_and_a_different_expiry_is_refused(stock, english):
    carpules, users, today = stock["carpules"], stock["users"], stock["today"]
    ReceiveStock(carpules, quantity=Decimal("5"), lot_code="A-SOON", expiry=today + timedelta(days=30), actor=users["reception"]).execute()
    assert Lot.objects.get(supply=carpules, code="A-SOON").quantity == Decimal("10")
    with pytest.raises(ActionError) as refused:
        ReceiveStock(carpules, quantity=Decimal("5"), lot_code="A-SOON", expiry=today + timedelta(days=31), actor=users["reception"]).execute()
    assert "was received before with expiry" in refused.value.message
    carpules.refresh_from_db()
    assert carpules.stock == Decimal("30")
    with pytest.raises(ActionError, match="tracks lots"):
        ReceiveStock(carpules, quantity=Decimal("5"), actor=users["reception"]).execute()


def test_an_adjustment_needs_a_reason_and_may_go_either_way(stock, english):
    gloves, users = stock["gloves"], stock["users"]
    with pytest.raises(ActionError, match="Say why"):
        AdjustStock(gloves, quantity=Decimal("-1"), reason="  ", actor=users["admin"]).execute()
    AdjustStock(gloves, quantity=Decimal("-1"), reason="Recuento de marzo", actor=users["admin"]).execute()
    AdjustStock(gloves, quantity=Decimal("3"), reason="Caja encontrada", actor=users["admin"]).execute()
    gloves.refresh_from_db()
    assert gloves.stock == Decimal("12")
    assert movements(gloves)[-2:] == [("adjustment", Decimal("-1"), Decimal("9"), None), ("adjustment", Decimal("3"), Decimal("12"), None)]
    with pytest.raises(ActionError, match="Not enough"):
        AdjustStock(gloves, quantity=Decimal("-13"), reason="Recuento", actor=users["admin"]).execute()


@pytest.mark.parametrize("quantity", ["abc", "1e400", "-1", "0", "NaN", "Infinity", "0.0001", "1\x00", None, "99999999999999"])
def test_impossible_quantities_are_refused_in_words(stock, english, quantity):
    gloves, users = stock["gloves"], stock["users"]
    for action in (ReceiveStock(gloves, quantity=quantity, reason="x", actor=users["admin"]),
                   UseStock(gloves, quantity=quantity, reason="x", actor=users["admin"])):
        with pytest.raises(ActionError) as refused:
            action.execute()
        assert refused.value.message.startswith("Enter")
    gloves.refresh_from_db()
    assert gloves.stock == Decimal("10") and len(movements(gloves)) == 1


def test_each_role_may_do_only_its_movements(stock):
    gloves, users = stock["gloves"], stock["users"]
    refused = [("reception", UseStock), ("reception", AdjustStock), ("practitioner", ReceiveStock), ("practitioner", AdjustStock), ("patient", UseStock),
               ("patient", ReceiveStock)]
    for role, action in refused:
        with pytest.raises(ActionPermissionDenied):
            action(gloves, quantity=Decimal("1"), reason="x", actor=users[role]).execute()
    ReceiveStock(gloves, quantity=Decimal("1"), actor=users["reception"]).execute()
    UseStock(gloves, quantity=Decimal("1"), reason="x", actor=users["practitioner"]).execute()
    AdjustStock(gloves, quantity=Decimal("1"), reason="x", actor=users["admin"]).execute()
    assert len(movements(gloves)) == 4


def test_movements_cannot_be_changed_or_deleted_even_in_sql(stock):
    movement = StockMovement.objects.filter(supply=stock["gloves"]).first()
    for statement in ("UPDATE inventory_stockmovement SET quantity = 99 WHERE id = %s", "DELETE FROM inventory_stockmovement WHERE id = %s"):
        with pytest.raises((IntegrityError, InternalError), match="never changed or deleted"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [movement.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()
    movement.refresh_from_db()
    assert movement.quantity == Decimal("10")


def test_nobody_holds_a_permission_to_change_or_delete_a_movement():
    from django.contrib.auth.models import Permission

    assert set(Permission.objects.filter(content_type__app_label="inventory", content_type__model="stockmovement").values_list("codename", flat=True)) == {
        "view_stockmovement", "receive_stock", "use_stock", "adjust_stock"}


def test_the_queries_for_reports(stock):
    gloves, carpules, users, today = stock["gloves"], stock["carpules"], stock["users"], stock["today"]
    start = timezone.now() - timedelta(minutes=1)
    UseStock(gloves, quantity=Decimal("8"), reason="Inventario", actor=users["practitioner"]).execute()
    UseStock(carpules, quantity=Decimal("2"), reason="x", actor=users["practitioner"]).execute()
    assert list(queries.low_stock().filter(category=stock["category"])) == [gloves]  # 2 boxes, minimum 3
    # Lot A-SOON expires in 30 days: within 60, not within 20.
    assert [lot.code for lot in queries.expiring(today=today).filter(supply=carpules)] == ["A-SOON"]
    assert not queries.expiring(within_days=20, today=today).filter(supply=carpules).exists()
    assert [lot.code for lot in queries.expired(today=today + timedelta(days=31)).filter(supply=carpules)] == ["A-SOON"]
    others = sum((s.value for s in Supply.objects.active().exclude(category=stock["category"])), Decimal("0"))
    assert queries.stock_value() == (Decimal("2") * Decimal("6.90") + Decimal("23") * Decimal("0.45") + others).quantize(Decimal("0.01"))
    ours = next(r for r in queries.value_by_category() if r["category"] == "Pruebas")
    assert ours == {"category": "Pruebas", "value": Decimal("24.15"), "supplies": 2}
    used = {r["name"]: (r["quantity"], r["cost"]) for r in queries.consumption(start, timezone.now() + timedelta(minutes=1))}
    assert used == {"Guantes de prueba": (Decimal("8"), Decimal("55.20")), "Articaína de prueba": (Decimal("2"), Decimal("0.90"))}
    assert queries.consumption(start - timedelta(days=2), start) == []


def test_more_than_the_column_holds_is_refused_in_words(stock, english):
    from clinic.inventory.models import MAX_QUANTITY

    gloves, users = stock["gloves"], stock["users"]
    with pytest.raises(ActionError, match="cannot hold that much stock"):
        ReceiveStock(gloves, quantity=MAX_QUANTITY, actor=users["reception"]).execute()
    gloves.refresh_from_db()
    assert gloves.stock == Decimal("10") and len(movements(gloves)) == 1


def test_a_count_of_a_lot_adjusts_that_lot_and_clears_the_shortfall(stock, english):
    carpules, admin = stock["carpules"], stock["users"]["admin"]
    late = Lot.objects.get(supply=carpules, code="B-LATE")
    with pytest.raises(ActionError, match="choose the lot you counted"):
        AdjustStock(carpules, quantity=Decimal("-1"), reason="Recuento", actor=admin).execute()
    Supply.objects.filter(pk=carpules.pk).update(shortfall=Decimal("3"))
    AdjustStock(carpules, quantity=Decimal("-4"), lot=late, reason="Recuento", actor=admin).execute()
    AdjustStock(carpules, quantity=Decimal("1.5"), lot=late, reason="Recuento", actor=admin).execute()
    carpules.refresh_from_db()
    late.refresh_from_db()
    assert (carpules.stock, carpules.shortfall, late.quantity) == (Decimal("22.5"), Decimal("0"), Decimal("17.5"))
    assert movements(carpules)[-2:] == [("adjustment", Decimal("-4"), Decimal("21"), "B-LATE"), ("adjustment", Decimal("1.5"), Decimal("22.5"), "B-LATE")]
    other = Lot.objects.create(supply=stock["gloves"], code="X", expiry=stock["today"])
    with pytest.raises(ActionError, match="not one of this supply"):
        UseStock(carpules, quantity=Decimal("1"), lot=other, reason="x", actor=admin).execute()
