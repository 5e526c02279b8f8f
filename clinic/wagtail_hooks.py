"""The clinic's staff admin: catalogue, team and website inbox, as Wagtail viewsets."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from .models import ContactMessage, Practitioner, Service, ServiceCategory


class ServiceViewSet(ModelViewSet):
    model = Service
    url_prefix = "clinic/service"
    url_namespace = "clinic_service"
    icon = "list-ul"
    menu_label = _("Services")
    list_display = ["name", "category", "duration_minutes", "price", "deposit", BooleanColumn("online_bookable"), BooleanColumn("active")]
    list_filter = ["category", "active", "online_bookable"]
    search_fields = ["name", "description"]
    panels = [
        FieldPanel("name"),
        FieldPanel("category"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("duration_minutes"), FieldPanel("buffer_minutes")], heading=_("Time")),
        FieldRowPanel([FieldPanel("price"), FieldPanel("deposit")], heading=_("Price")),
        FieldRowPanel([FieldPanel("online_bookable"), FieldPanel("active"), FieldPanel("sort_order")], heading=_("Visibility")),
    ]


class ServiceCategoryViewSet(ModelViewSet):
    model = ServiceCategory
    url_prefix = "clinic/servicecategory"
    url_namespace = "clinic_servicecategory"
    icon = "folder-open-inverse"
    menu_label = _("Service categories")
    list_display = ["name", "sort_order"]
    form_fields = ["name", "description", "sort_order"]


class PractitionerViewSet(ModelViewSet):
    model = Practitioner
    url_prefix = "clinic/practitioner"
    url_namespace = "clinic_practitioner"
    icon = "user"
    menu_label = _("Practitioners")
    list_display = ["display_name", "specialty", "licence_number", BooleanColumn("active")]
    list_filter = ["active", "services"]
    search_fields = ["user__first_name", "user__last_name", "user__email", "specialty"]
    panels = [
        FieldPanel("user"),
        FieldRowPanel([FieldPanel("title"), FieldPanel("specialty"), FieldPanel("licence_number")]),
        FieldPanel("photo"),
        FieldPanel("bio"),
        FieldPanel("services", widget=forms.CheckboxSelectMultiple),
        MultiFieldPanel([FieldPanel("active"), FieldPanel("sort_order")], heading=_("Visibility")),
    ]


class ContactMessageViewSet(ModelViewSet):
    model = ContactMessage
    url_prefix = "clinic/contactmessage"
    url_namespace = "clinic_contactmessage"
    icon = "mail"
    menu_label = _("Contact messages")
    list_display = ["name", "email", "phone", "created", BooleanColumn("handled")]
    list_filter = ["handled"]
    search_fields = ["name", "email", "message"]
    inspect_view_enabled = True
    inspect_view_fields = ["name", "email", "phone", "message", "created", "emailed_at", "handled"]
    form_fields = ["handled"]  # staff mark messages handled; what the patient wrote is never edited
    copy_view_enabled = False  # messages only arrive from the website: no role has "add"


class ClinicViewSetGroup(ViewSetGroup):
    menu_label = _("Clinic")
    menu_icon = "group"
    menu_order = 150
    items = (ServiceViewSet, ServiceCategoryViewSet, PractitionerViewSet, ContactMessageViewSet)


@hooks.register("register_admin_viewset")
def register_clinic_viewsets():
    return ClinicViewSetGroup()
