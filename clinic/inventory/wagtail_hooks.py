"""The inventory in the staff admin: registrations only (views in views.py, viewsets in admin.py)."""

from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from clinic.wagtail_hooks import StaffMenuItem

from . import views
from .admin import StockMovementViewSet, SupplyCategoryViewSet, SupplyViewSet

LOG_ACTIONS = {
    "inventory.stock.receive": (_("Receive stock"), _("Stock received")),
    "inventory.stock.use": (_("Record use of stock"), _("Stock used")),
    "inventory.stock.adjust": (_("Adjust stock"), _("Stock adjusted after a count")),
    "inventory.stock.consume": (_("Consume a visit's supplies"), _("Supplies used in the visit taken from stock")),
    "inventory.supply.create": (_("Add supply"), _("Supply added")),
    "inventory.supply.change": (_("Change supply"), _("Supply details changed")),
    "inventory.bom.save": (_("Save bill of materials"), _("Bill of materials changed")),
}


@hooks.register("register_log_actions")
def register_inventory_log_actions(actions):
    for action, (label, message) in LOG_ACTIONS.items():
        actions.register_action(action, label, message)


class InventoryViewSetGroup(ViewSetGroup):
    menu_label = _("Inventory")
    menu_icon = "clipboard-list"
    menu_order = 160
    submenu_hook = "register_inventory_menu_item"
    items = (SupplyViewSet, SupplyCategoryViewSet, StockMovementViewSet)


@hooks.register("register_admin_viewset")
def register_inventory_viewsets():
    return InventoryViewSetGroup()


@hooks.register("register_admin_urls")
def register_inventory_urls():
    urls = [
        path("material/<int:pk>/", views.supply_view, name="supply"),
        path("material/<int:pk>/recibir/", views.receive_view, name="receive"),
        path("material/<int:pk>/usar/", views.use_view, name="use"),
        path("material/<int:pk>/ajustar/", views.adjust_view, name="adjust"),
        path("bajo-minimo/", views.low_stock_view, name="low_stock"),
        path("caducidades/", views.expiring_view, name="expiring"),
        path("por-servicio/", views.bills_view, name="bills"),
        path("por-servicio/<int:service_id>/", views.bill_view, name="bill"),
    ]
    return [path("inventario/", include((urls, "inventory"), namespace="inventory"))]


@hooks.register("register_inventory_menu_item")
def register_low_stock_menu_item():
    return StaffMenuItem(_("Low stock"), reverse_lazy("inventory:low_stock"), icon_name="warning", order=10, permission="inventory.view_supply")


@hooks.register("register_inventory_menu_item")
def register_expiring_menu_item():
    return StaffMenuItem(_("Expiry dates"), reverse_lazy("inventory:expiring"), icon_name="date", order=11, permission="inventory.view_lot")


@hooks.register("register_inventory_menu_item")
def register_bills_menu_item():
    return StaffMenuItem(_("Supplies per service"), reverse_lazy("inventory:bills"), icon_name="list-ul", order=12, permission="inventory.view_servicesupply")
