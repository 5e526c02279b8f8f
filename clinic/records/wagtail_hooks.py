"""The patient file and the access log in the staff admin: registrations only."""

from django.urls import include, path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from clinic.wagtail_hooks import StaffMenuItem

from . import plans, views
from .admin import AccessLogViewSet


@hooks.register("register_admin_urls")
def register_record_urls():
    urls = [
        path("", views.directory_view, name="directory"),
        path("<int:pk>/", views.patient_view, name="patient"),
        path("<int:pk>/foto/", views.photo_view, name="photo"),
        path("<int:pk>/historia/", views.history_view, name="history"),
        path("<int:pk>/visitas/", views.visits_view, name="visits"),
        path("<int:pk>/visitas/nueva/", views.new_visit_view, name="new_visit"),
        path("<int:pk>/odontograma/", views.odontogram_view, name="odontogram"),
        path("<int:pk>/odontograma/<int:version_id>/", views.odontogram_version_view, name="odontogram_version"),
        path("<int:pk>/documentos/nuevo/", views.upload_view, name="upload"),
        path("<int:pk>/exportar.<str:fmt>", views.export_view, name="export"),
        path("<int:pk>/archivar/", views.archive_view, name="archive"),
        path("<int:pk>/fusionar/", views.merge_view, name="merge"),
        path("<int:pk>/accesos/", views.patient_log_view, name="log"),
        path("visita/<int:pk>/", views.visit_view, name="visit"),
        path("documento/<int:pk>/", views.document_view, name="document"),
        path("documento/<int:pk>/compartir/", views.share_document_view, name="share_document"),
        path("<int:pk>/planes/nuevo/", plans.new_plan_view, name="new_plan"),
        path("plan/<int:plan_id>/", plans.plan_view, name="plan"),
        path("plan/<int:plan_id>/tratamientos/", plans.item_add_view, name="plan_item_add"),
        path("plan/<int:plan_id>/presentar/", plans.present_view, name="plan_present"),
        path("plan/<int:plan_id>/citar/", plans.book_view, name="plan_book"),
        path("plan/<int:plan_id>/cancelar/", plans.cancel_plan_view, name="plan_cancel"),
        path("plan/tratamiento/<int:item_id>/", plans.item_edit_view, name="plan_item"),
        path("plan/tratamiento/<int:item_id>/quitar/", plans.item_drop_view, name="plan_item_drop"),
        path("presupuesto/<int:estimate_id>/", plans.estimate_view, name="estimate"),
        path("presupuesto/<int:estimate_id>/papel/", plans.paper_view, name="estimate_paper"),
        path("presupuesto/plazo/<int:instalment_id>/factura/", plans.invoice_instalment_view, name="instalment_invoice"),
    ]
    return [path("pacientes/", include((urls, "clinic_records"), namespace="clinic_records"))]


@hooks.register("register_admin_menu_item")
def register_patients_menu_item():
    return StaffMenuItem(_("Patients"), reverse_lazy("clinic_records:directory"), icon_name="user", order=2, permission="clinic.view_patient")


@hooks.register("register_admin_viewset")
def register_access_log():
    return AccessLogViewSet("access_log")
