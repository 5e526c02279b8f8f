"""The clinic's access log as a read-only Wagtail listing: filters and CSV/XLSX export
(Wagtail's own ``list_export``), for clinic admins (records.view_accesslogentry)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSet

from .models import AccessLogEntry


class AccessLogFilterSet(WagtailFilterSet):
    at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    who = django_filters.CharFilter(label=_("Who"), lookup_expr="icontains")
    patient = django_filters.NumberFilter(label=_("Patient number"), field_name="patient_id")

    class Meta:
        model = AccessLogEntry
        fields = ["action", "area", "who", "patient", "at"]


class AccessLogIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("patient")


class AccessLogViewSet(ModelViewSet):
    model = AccessLogEntry
    icon = "history"
    menu_label = _("Access log")
    menu_order = 950
    add_to_admin_menu = True
    url_prefix = "registro-de-accesos"
    list_display = [Column("at", label=_("When")), "who", "role", Column("patient", label=_("Patient")), "get_action_display", "what", "ip"]
    list_export = ["at", "who", "role", "patient_id", "patient", "action", "area", "detail", "ip"]
    export_filename = "registro-de-accesos"
    filterset_class = AccessLogFilterSet
    copy_view_enabled = False
    inspect_view_enabled = False
    ordering = ["-at", "-pk"]
    index_view_class = AccessLogIndexView
    form_fields = []  # no form: the log is only ever listed

    def get_urlpatterns(self):
        # Listing (and its export) only: no add, edit, delete or history page exists at all.
        return [pattern for pattern in super().get_urlpatterns() if pattern.name in ("index", "index_results")]
