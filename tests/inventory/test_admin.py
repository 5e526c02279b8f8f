"""Issue 12, item 1: the inventory admin. What staff see (in Spanish and English), what the
forms save (through the actions), another clinic's ids, and malformed input on every parameter."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from clinic.inventory.models import Lot, ServiceSupply, StockMovement, Supply
from clinic.models import Service
from portal.tenancy import clinic_context
from tests.helpers import login, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client_a, password):
    return login(client_a, "admin@sonrisa.example", password)


def state(stock):
    with clinic_context(stock["clinic"]):
        return (list(Supply.objects.order_by("pk").values_list("pk", "stock", "shortfall", "name", "minimum")), StockMovement.objects.count(),
                list(Lot.objects.order_by("pk").values_list("code", "quantity")), list(ServiceSupply.objects.values_list("service", "supply", "quantity")))


@pytest.mark.parametrize("language,words", [
    ("es", ["En existencias", "10 cajas", "Mínimo", "Valor", "69,00 €", "Recibir existencias", "Registrar uso", "Ajustar tras un recuento",
            "Últimos movimientos", "recibido", "Ana Recepción"]),
    ("en", ["In stock", "10 boxes", "Minimum", "Value", "69.00 €", "Receive stock", "Record use", "Adjust after a count", "Latest movements",
            "received", "Ana Recepción"]),
])
def test_the_supply_page_in_both_languages(stock, admin, language, words):
    page = text(admin.get(reverse("inventory:supply", args=[stock["gloves"].pk]), HTTP_ACCEPT_LANGUAGE=language))
    for word in words:
        assert word in page, word


def test_reception_sees_only_the_receive_form_and_practitioners_only_use(stock, client_a, host_client, password):
    url = reverse("inventory:supply", args=[stock["gloves"].pk])
    reception = text(login(client_a, "recepcion@sonrisa.example", password).get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Receive stock" in reception and "Record use" not in reception and "Adjust after a count" not in reception
    lucia = text(login(host_client(stock["clinic"].primary_host), "lucia.fernandez@sonrisa.example", password).get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Record use" in lucia and "Receive stock" not in lucia and "Edit details" not in lucia


def test_receiving_a_lot_through_the_page(stock, admin):
    carpules = stock["carpules"]
    response = admin.post(reverse("inventory:receive", args=[carpules.pk]), {"receive-quantity": "12", "receive-lot_code": "C-NEW",
                                                                         "receive-expiry": "2031-05-31", "receive-reason": "Albarán 77"},
                          HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "“Articaína de prueba”: 37 cartridges in stock." in text(response)
    with clinic_context(stock["clinic"]):
        lot = Lot.objects.get(supply=carpules, code="C-NEW")
        assert (lot.quantity, str(lot.expiry)) == (Decimal("12"), "2031-05-31")
        assert StockMovement.objects.filter(lot=lot).get().author.email == "admin@sonrisa.example"


def test_a_use_beyond_stock_is_told_on_the_page_and_changes_nothing(stock, admin):
    before = state(stock)
    response = admin.post(reverse("inventory:use", args=[stock["gloves"].pk]), {"use-quantity": "11", "use-reason": "Prueba"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "No hay suficiente «Guantes de prueba»: 10 cajas en existencias, se piden 11. No se ha cambiado nada." in text(response)
    assert state(stock) == before


BAD_QUANTITIES = ["abc", "1e400", "-1", "0", "", "NaN", "Infinity", "1\x00", "99999999999999999999", "0.0001", "1" * 5000]


@pytest.mark.parametrize("name", ["receive", "use", "adjust"])
@pytest.mark.parametrize("quantity", BAD_QUANTITIES)
def test_malformed_quantities_get_a_translated_message_and_change_nothing(stock, admin, name, quantity):
    before = state(stock)
    data = {f"{name}-quantity": quantity, f"{name}-reason": "Prueba"}
    response = admin.post(reverse(f"inventory:{name}", args=[stock["gloves"].pk]), data, HTTP_ACCEPT_LANGUAGE="es")
    if name == "adjust" and quantity == "-1":  # a count that found one missing is valid
        assert response.status_code == HTTPStatus.FOUND
        return
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = text(response)
    assert any(m in page for m in ("Introduzca un número", "Este campo es necesario", "Asegúrese", "no cero", "mayor o igual")), page[-800:]
    assert state(stock) == before


@pytest.mark.parametrize("data", [
    {"use-quantity": "1", "use-reason": "x", "use-lot": "99999999999999999999"},
    {"use-quantity": "1", "use-reason": "x", "use-lot": "abc"},
    {"use-quantity": "1", "use-reason": "x\x00"},
    {"use-quantity": "1", "use-reason": ""},
    {"use-quantity": "1", "use-reason": "x" * 300},
])
def test_malformed_lots_and_reasons_are_refused(stock, admin, data):
    before = state(stock)
    response = admin.post(reverse("inventory:use", args=[stock["carpules"].pk]), data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert state(stock) == before


@pytest.mark.parametrize("data", [
    {"receive-quantity": "1", "receive-lot_code": "X\x00", "receive-expiry": "2031-01-01"},
    {"receive-quantity": "1", "receive-lot_code": "X", "receive-expiry": "2026-02-30"},
    {"receive-quantity": "1", "receive-lot_code": "X", "receive-expiry": "99999-01-01"},
    {"receive-quantity": "1", "receive-lot_code": "", "receive-expiry": ""},
])
def test_malformed_lot_receipts_are_refused(stock, admin, data):
    before = state(stock)
    response = admin.post(reverse("inventory:receive", args=[stock["carpules"].pk]), data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert state(stock) == before


def test_another_clinic_sees_nothing_of_this_one(stock, client_b, password):
    login(client_b, "admin@alamos.example", password)
    pk = stock["gloves"].pk
    with clinic_context(stock["clinic"]):
        movement = StockMovement.objects.filter(supply_id=pk).first()
    for url in (reverse("inventory:supply", args=[pk]), reverse("inventory_supply:edit", args=[pk])):
        assert client_b.get(url).status_code == HTTPStatus.NOT_FOUND
    for name in ("receive", "use", "adjust"):
        assert client_b.post(reverse(f"inventory:{name}", args=[pk]), {f"{name}-quantity": "1", f"{name}-reason": "x"}).status_code == HTTPStatus.NOT_FOUND
    listing = text(client_b.get(reverse("inventory_stockmovement:index"), {"supply": pk}))
    assert "Guantes de prueba" not in listing and "Albarán 1" not in listing
    assert "Guantes de prueba" not in text(client_b.get(reverse("inventory_supply:index")))
    assert "Guantes de prueba" not in text(client_b.get(reverse("inventory:low_stock")))
    assert "A-SOON" not in text(client_b.get(reverse("inventory:expiring")))
    assert movement is not None


@pytest.mark.parametrize("url", ["/admin/inventario/material/99999999999999999999/", "/admin/inventario/material/99999999999999999999/usar/",
                                 "/admin/inventario/por-servicio/99999999999999999999/", "/admin/inventario/materiales/edit/99999999999999999999/"])
def test_huge_ids_are_not_found(stock, admin, url):
    assert admin.get(url).status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED)
    assert admin.post(url, {"use-quantity": "1", "use-reason": "x"}).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("query", [{"dias": "abc"}, {"dias": "0"}, {"dias": "99999999999999999999"}, {"dias": "-5"}, {"dias": "1\x00"}])
def test_an_impossible_number_of_days_is_a_translated_400(stock, admin, query):
    response = admin.get(reverse("inventory:expiring"), query, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Indique un número de días entre 1 y 3650." in text(response)


def test_the_expiry_list_shows_the_lot_and_the_filter_narrows_it(stock, admin):
    page = text(admin.get(reverse("inventory:expiring"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Articaína de prueba A-SOON" in page and "in 30 days" in page and "B-LATE" not in page
    assert "A-SOON" not in text(admin.get(reverse("inventory:expiring"), {"dias": "20"}))
    assert "B-LATE" in text(admin.get(reverse("inventory:expiring"), {"dias": "400"}))


@pytest.mark.parametrize("query", [{"supply": "abc"}, {"supply": "99999999999999999999"}, {"kind": "\x00"}, {"author": "-1"},
                                   {"created_at_after": "2026-02-30"}, {"created_at_before": "99999-01-01"}, {"p": "99999999999999999999"}])
def test_the_movement_list_survives_any_filter(stock, admin, query):
    assert admin.get(reverse("inventory_stockmovement:index"), query).status_code in (HTTPStatus.OK, HTTPStatus.NOT_FOUND)


def test_the_movement_list_filters_by_supply_and_kind_and_has_no_edit_or_delete(stock, admin):
    page = text(admin.get(reverse("inventory_stockmovement:index"), {"supply": stock["gloves"].pk}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Albarán 1" in page and "A-SOON" not in page
    assert "A-SOON" in text(admin.get(reverse("inventory_stockmovement:index"), {"kind": "in"}))
    with clinic_context(stock["clinic"]):
        movement = StockMovement.objects.filter(supply=stock["gloves"]).first()
    for path in (f"/admin/inventario/movimientos/edit/{movement.pk}/", f"/admin/inventario/movimientos/delete/{movement.pk}/"):
        assert admin.get(path).status_code == HTTPStatus.NOT_FOUND
        assert admin.post(path).status_code == HTTPStatus.NOT_FOUND


def test_the_supply_list_shows_stock_value_and_the_low_flag(stock, admin):
    page = text(admin.get(reverse("inventory_supply:index"), {"low": "true"}, HTTP_ACCEPT_LANGUAGE="es"))
    assert "Guantes de prueba" not in page  # 10 boxes, minimum 3
    with clinic_context(stock["clinic"]):
        Supply.objects.filter(pk=stock["carpules"].pk).update(minimum=Decimal("25"))
    page = text(admin.get(reverse("inventory_supply:index"), {"low": "true"}, HTTP_ACCEPT_LANGUAGE="es"))
    assert "Articaína de prueba Editar Pruebas 25 cartuchos 25 11,25 € Bajo" in page
    page = text(admin.get(reverse("inventory_supply:index"), HTTP_ACCEPT_LANGUAGE="es"))
    assert "Guantes de prueba Editar Pruebas 10 cajas 3 69,00 €" in page


def test_a_supply_added_in_the_admin_is_saved_by_the_action_and_its_stock_is_not_a_field(stock, admin):
    data = {"name": "Hilo de sutura", "category": stock["category"].pk, "unit": "unit", "minimum": "5", "cost_price": "1.20", "supplier": "",
            "location": "Gabinete 2", "active": "on", "stock": "500"}
    response = admin.post(reverse("inventory_supply:add"), data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.FOUND, text(response)[-500:]
    with clinic_context(stock["clinic"]):
        supply = Supply.objects.get(name="Hilo de sutura")
        assert supply.stock == Decimal("0")
        assert ModelLogEntry.objects.filter(action="inventory.supply.create", object_id=str(supply.pk)).exists()


@pytest.mark.parametrize("field,value", [("minimum", "-1"), ("minimum", "1e400"), ("cost_price", "abc"), ("name", "x\x00"), ("supplier", "99999999999999999999"),
                                         ("category", "abc"), ("unit", "kilo")])
def test_a_malformed_supply_form_is_refused(stock, admin, field, value):
    before = state(stock)
    data = {"name": "Hilo de sutura", "unit": "unit", "minimum": "5", "cost_price": "1.20", "location": "", "active": "on", field: value}
    response = admin.post(reverse("inventory_supply:add"), data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
    assert "No se ha podido guardar" in text(response)
    assert state(stock) == before


def bom_post(*lines, total=None):
    data = {"bom-TOTAL_FORMS": str(total if total is not None else len(lines)), "bom-INITIAL_FORMS": "0", "bom-MIN_NUM_FORMS": "0", "bom-MAX_NUM_FORMS": "100"}
    for n, (supply, quantity) in enumerate(lines):
        data[f"bom-{n}-supply"], data[f"bom-{n}-quantity"] = supply, quantity
    return data


def test_the_bill_of_materials_is_edited_per_service(stock, admin):
    with clinic_context(stock["clinic"]):
        service = Service.objects.get(slug="empaste-obturacion")
    url = reverse("inventory:bill", args=[service.pk])
    response = admin.post(url, bom_post((stock["gloves"].pk, "0.5"), (stock["carpules"].pk, "2")), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Bill of materials of “Empaste (obturación)” saved." in text(response)
    assert "0.5 boxes · Guantes de prueba" in text(response)
    with clinic_context(stock["clinic"]):
        assert set(ServiceSupply.objects.filter(service=service).values_list("supply__name", "quantity")) == {
            ("Guantes de prueba", Decimal("0.5")), ("Articaína de prueba", Decimal("2"))}
        assert ModelLogEntry.objects.filter(action="inventory.bom.save", object_id=str(service.pk)).exists()
    admin.post(url, bom_post((stock["gloves"].pk, "1")))
    with clinic_context(stock["clinic"]):
        assert list(ServiceSupply.objects.filter(service=service).values_list("supply__name", "quantity")) == [("Guantes de prueba", Decimal("1"))]


@pytest.mark.parametrize("data", [
    bom_post(("99999999999999999999", "1")), bom_post(("abc", "1")), bom_post(("SUPPLY", "1e400")), bom_post(("SUPPLY", "-1")), bom_post(("SUPPLY", "")),
    bom_post(("SUPPLY", "1"), ("SUPPLY", "2")), bom_post(("SUPPLY", "1\x00")), bom_post(total="abc"), bom_post(total="99999999999999999999"),
    {"bom-TOTAL_FORMS": "1"}, {},
])
def test_a_malformed_bill_is_refused_and_changes_nothing(stock, admin, data):
    with clinic_context(stock["clinic"]):
        service = Service.objects.get(slug="empaste-obturacion")
    data = {k: (str(stock["gloves"].pk) if v == "SUPPLY" else v) for k, v in data.items()}
    before = state(stock)
    response = admin.post(reverse("inventory:bill", args=[service.pk]), data, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert state(stock) == before


def test_lot_tracking_is_not_switched_while_there_is_stock(stock, admin):
    gloves = stock["gloves"]
    data = {"name": gloves.name, "category": stock["category"].pk, "unit": "box", "minimum": "3", "cost_price": "6.90", "location": "", "active": "on",
            "tracks_lots": "on"}
    response = admin.post(reverse("inventory_supply:edit", args=[gloves.pk]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert "Lot tracking can be switched only when nothing is in stock" in text(response)
    with clinic_context(stock["clinic"]):
        assert not Supply.objects.get(pk=gloves.pk).tracks_lots
