"""Inventory listings as Wagtail viewsets (registered in wagtail_hooks): supplies, categories
and the read-only movement ledger. Supplies save through SaveSupply; stock is never in a form."""

import django_filters
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.models import CreateView, EditView, IndexView

from clinic.admin.viewsets import ClinicModelViewSet
from clinic.roles import staff_users

from .actions import SaveSupply, quantity_text
from .forms import SupplyAdminForm
from .models import StockMovement, Supply, SupplyCategory


class QuantityColumn(Column):
    """2.500 shown as 2,5 (Spanish) or 2.5 (English); ``blank_zero`` leaves 0 out."""

    def __init__(self, *args, blank_zero=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.blank_zero = blank_zero

    def get_value(self, instance):
        value = super().get_value(instance)
        return "" if value is None or (self.blank_zero and not value) else quantity_text(value)


class MoneyColumn(Column):
    def get_value(self, instance):
        from portal.money import format_money
        from django.db import connection

        return format_money(super().get_value(instance), connection.tenant.currency)


class LowColumn(Column):
    """“Low” when the supply needs ordering (Supply.is_low), empty otherwise."""

    def get_value(self, instance):
        return _("Low") if instance.is_low else ""


class SupplyFilterSet(WagtailFilterSet):
    low = django_filters.BooleanFilter(label=_("Low stock"), method="filter_low")

    class Meta:
        model = Supply
        fields = ["category", "supplier", "active", "tracks_lots", "low"]

    def filter_low(self, queryset, name, value):
        low = Q(stock__lte=F("minimum")) | Q(shortfall__gt=0)
        return queryset.filter(low) if value else queryset.exclude(low)


class SupplyIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("category", "supplier").with_value()

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        # The name leads to the supply page (stock, lots, movements, the forms), not the edit form.
        column = super()._get_title_column(field_name, column_class, **kwargs)
        column._get_url_func = lambda supply: reverse("inventory:supply", args=[supply.pk])
        return column


class SaveThroughAction:
    def save_instance(self):
        return SaveSupply(self.form, actor=self.request.user).execute()


class SupplyCreateView(SaveThroughAction, CreateView):
    pass


class SupplyEditView(SaveThroughAction, EditView):
    pass


class SupplyViewSet(ClinicModelViewSet):
    """Supplies: the list with stock, minimum and value; add and edit the details (clinic
    admins). Never deleted (their movements refer to them): set inactive instead."""

    model = Supply
    icon = "clipboard-list"
    menu_label = _("Supplies")
    list_display = ["name", "category", QuantityColumn("stock", label=_("In stock")), Column("get_unit_display", label=_("Unit")), QuantityColumn("minimum", label=_("Minimum")),
                    MoneyColumn("stock_value", label=_("Value")), LowColumn("is_low", label=_("Low")), "location"]
    filterset_class = SupplyFilterSet
    search_fields = ["name", "location"]
    index_view_class = SupplyIndexView
    add_view_class = SupplyCreateView
    edit_view_class = SupplyEditView
    copy_view_enabled = False
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("name"), FieldPanel("category")]),
        FieldRowPanel([FieldPanel("unit"), FieldPanel("minimum"), FieldPanel("cost_price")]),
        FieldRowPanel([FieldPanel("supplier"), FieldPanel("location")]),
        FieldRowPanel([FieldPanel("tracks_lots"), FieldPanel("active")]),
    ], base_form_class=SupplyAdminForm)

    def __init__(self):
        super().__init__("inventory_supply")

    url_prefix = "inventario/materiales"


class SupplyCategoryViewSet(ClinicModelViewSet):
    model = SupplyCategory
    icon = "folder-open-inverse"
    menu_label = _("Supply categories")
    list_display = ["name", "description"]
    form_fields = ["name", "description"]
    copy_view_enabled = False
    url_prefix = "inventario/categorias"

    def __init__(self):
        super().__init__("inventory_supplycategory")


class MovementFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    author = django_filters.ModelChoiceFilter(label=_("By"), queryset=lambda request: staff_users().order_by("first_name", "last_name"))

    class Meta:
        model = StockMovement
        fields = ["supply", "kind", "author", "created_at"]


class MovementIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("supply", "lot", "author", "appointment")


class StockMovementViewSet(ClinicModelViewSet):
    """The ledger, read only: nobody may change or delete a movement (and the database
    refuses it). Filters by supply, kind, date and author; CSV/XLSX export."""

    model = StockMovement
    icon = "list-ul"
    menu_label = _("Stock movements")
    list_display = [Column("created_at", label=_("When")), Column("supply", label=_("Supply")), Column("get_kind_display", label=_("Kind")), QuantityColumn("quantity", label=_("Quantity")),
                    Column("lot", label=_("Lot")), QuantityColumn("stock_after", label=_("Stock after")), QuantityColumn("shortfall", label=_("Short by"), blank_zero=True),
                    Column("author", label=_("By")), "reason", Column("appointment", label=_("Appointment"))]
    list_export = ["created_at", "supply", "kind", "quantity", "lot", "stock_after", "shortfall", "unit_cost", "author", "reason", "appointment_id"]
    export_filename = "movimientos-de-inventario"
    filterset_class = MovementFilterSet
    index_view_class = MovementIndexView
    copy_view_enabled = False
    inspect_view_enabled = False
    ordering = ["-created_at", "-pk"]
    form_fields = []
    url_prefix = "inventario/movimientos"

    def __init__(self):
        super().__init__("inventory_stockmovement")

    def get_urlpatterns(self):
        # Listing (and its export) only: no add, edit, delete or history page exists at all.
        return [pattern for pattern in super().get_urlpatterns() if pattern.name in ("index", "index_results")]
