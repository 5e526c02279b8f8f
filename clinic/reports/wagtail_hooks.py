"""Registrations only: the reports' URLs under /admin/informes/ and the "Reports" menu
item, shown to whoever may read at least one report (clinic.reports.base)."""

from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views
from .base import access_for, readable_reports
from .panels import add_panel


@hooks.register("register_admin_urls")
def register_report_urls():
    urls = [
        path("", views.index_view, name="index"),
        path("<slug:slug>/", views.report_view, name="report"),
        path("<slug:slug>/csv/", views.report_view, {"export": "csv"}, name="csv"),
        path("<slug:slug>/pdf/", views.report_view, {"export": "pdf"}, name="pdf"),
    ]
    return [path("informes/", include((urls, "clinic_reports"), namespace="clinic_reports"))]


class ReportsMenuItem(MenuItem):
    def is_shown(self, request):
        return bool(readable_reports(access_for(request.user)))


@hooks.register("register_admin_menu_item")
def register_reports_menu_item():
    return ReportsMenuItem(_("Clinic reports"), reverse_lazy("clinic_reports:index"), icon_name="table", order=400)

hooks.register("construct_homepage_panels", add_panel)  # the revenue chart on the dashboard
