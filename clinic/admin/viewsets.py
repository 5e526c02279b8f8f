"""The clinic's catalogue, team and website inbox as Wagtail viewsets (registered in clinic/wagtail_hooks.py)."""

from django import forms
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views.generic.models import CreateView, DeleteView, EditView
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import ContactMessage, Equipment, Patient, Practitioner, Room, Service, ServiceCategory, Supplier, TimeOff, WorkingHours
from ..staff_admin import PractitionerAdminForm


# Wagtail's own messages put the model's name in a sentence ("%(model_name)s '%(object)s'
# created.", "The %(model_name)s could not be created…"), which in Spanish gives the wrong
# gender for feminine models ("Cita 'X' creado", "El cita no pudo ser creado"). Ours
# name the object, not its kind, so they read right in both languages.
ADDED = gettext_lazy("“%(object)s” has been added.")
SAVED = gettext_lazy("The changes to “%(object)s” have been saved.")
DELETED = gettext_lazy("“%(object)s” has been deleted.")
NOT_SAVED = gettext_lazy("It could not be saved: please correct the errors below.")


class ClinicModelViewSet(ModelViewSet):
    """Admin pages for a clinic model at /admin/clinic/<model>/, URL names clinic_<model>:…"""

    def get_add_view_kwargs(self, **kwargs):
        return super().get_add_view_kwargs(**{"success_message": ADDED, "error_message": NOT_SAVED, **kwargs})

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(**{"success_message": SAVED, "error_message": NOT_SAVED, **kwargs})

    def get_delete_view_kwargs(self, **kwargs):
        return super().get_delete_view_kwargs(**{"success_message": DELETED, **kwargs})

    def __init__(self, name=None, **kwargs):
        super().__init__(name or f"clinic_{self.model._meta.model_name}", **kwargs)

    @cached_property
    def url_prefix(self):
        return f"clinic/{self.model._meta.model_name}"


class ServiceAdminForm(WagtailAdminModelForm):
    """The deposit only counts under the deposit policy (issue 8, item 15: a deposit typed with
    the policy left at "patient chooses" was silently ignored by online booking), so say so."""

    def clean(self):
        data = super().clean()
        policy, deposit = data.get("payment_policy"), data.get("deposit")
        if deposit and policy != Service.PaymentPolicy.DEPOSIT:
            self.add_error("deposit", _("A deposit is only charged when the payment is “%(policy)s”. Choose that, or set the deposit to 0.")
                           % {"policy": Service.PaymentPolicy.DEPOSIT.label})
        elif policy == Service.PaymentPolicy.DEPOSIT and not deposit:
            self.add_error("deposit", _("Enter the deposit patients pay online."))
        return data


class ServiceViewSet(ClinicModelViewSet):
    model = Service
    icon = "list-ul"
    menu_label = _("Services")
    list_display = ["name", "category", "duration_minutes", "price", "deposit", "payment_policy", BooleanColumn("online_bookable"), BooleanColumn("active")]
    list_filter = ["category", "active", "online_bookable"]
    search_fields = ["name", "description"]
    edit_handler = ObjectList([
        FieldPanel("name"),
        FieldPanel("category"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("duration_minutes"), FieldPanel("buffer_minutes")], heading=_("Time")),
        FieldRowPanel([FieldPanel("price"), FieldPanel("payment_policy"), FieldPanel("deposit")], heading=_("Price")),
        FieldPanel("required_equipment", widget=forms.CheckboxSelectMultiple),
        FieldRowPanel([FieldPanel("online_bookable"), FieldPanel("active"), FieldPanel("sort_order")], heading=_("Visibility")),
    ], base_form_class=ServiceAdminForm)


class ServiceCategoryViewSet(ClinicModelViewSet):
    model = ServiceCategory
    icon = "folder-open-inverse"
    menu_label = _("Service categories")
    list_display = ["name", "sort_order"]
    form_fields = ["name", "description", "sort_order"]


class PractitionerViewSet(ClinicModelViewSet):
    model = Practitioner
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

    def get_edit_handler(self):
        # Staff only in the user picker (issue 8, #7).
        return ObjectList(self.panels, base_form_class=PractitionerAdminForm).bind_to_model(self.model)


class ContactMessageViewSet(ClinicModelViewSet):
    model = ContactMessage
    icon = "mail"
    menu_label = _("Contact messages")
    list_display = ["name", "email", "phone", "created", BooleanColumn("handled")]
    list_filter = ["handled"]
    search_fields = ["name", "email", "message"]
    inspect_view_enabled = True
    inspect_view_fields = ["name", "email", "phone", "message", "created", "emailed_at", "handled"]
    form_fields = ["handled"]  # staff mark messages handled; what the patient wrote is never edited
    copy_view_enabled = False  # messages only arrive from the website: no role has "add"


class ArchiveInsteadOfDelete(DeleteView):
    """Patients are never deleted: "delete" leads to the patient file, whose Archive button
    keeps the record (clinic.records.actions.ArchivePatient)."""

    def dispatch(self, request, *args, **kwargs):
        return redirect("clinic_records:patient", self.object.pk)


class ToPatientFile:
    def get_success_url(self):
        return reverse("clinic_records:patient", args=[self.object.pk])


class AddPatientView(ToPatientFile, CreateView):
    pass


class EditPatientView(ToPatientFile, EditView):
    pass


class PatientViewSet(ClinicModelViewSet):
    """Adding a patient and editing contact data; the directory and the file are
    clinic.records (/admin/pacientes/)."""

    model = Patient
    icon = "user"
    menu_label = _("Patients")
    add_to_admin_menu = False
    list_display = ["__str__", "email", "phone", "date_of_birth", "created"]
    form_fields = ["first_name", "last_name", "email", "phone", "date_of_birth", "national_id", "photo"]
    copy_view_enabled = False
    delete_view_class = ArchiveInsteadOfDelete

    add_view_class = AddPatientView
    edit_view_class = EditPatientView


class WorkingHoursViewSet(ClinicModelViewSet):
    model = WorkingHours
    icon = "time"
    menu_label = _("Working hours")
    list_display = ["practitioner", "get_weekday_display", "start", "end"]
    list_filter = ["practitioner", "weekday"]
    form_fields = ["practitioner", "weekday", "start", "end"]


class TimeOffViewSet(ClinicModelViewSet):
    model = TimeOff
    icon = "calendar-alt"
    menu_label = _("Time off and holidays")
    list_display = ["start", "end", "practitioner", "reason"]
    form_fields = ["practitioner", "start", "end", "reason"]


class RoomViewSet(ClinicModelViewSet):
    """Surgeries and chairs. Once a clinic has active rooms, every booking takes one."""

    model = Room
    icon = "home"
    menu_label = _("Rooms")
    list_display = ["name", BooleanColumn("active"), "sort_order"]
    panels = [FieldPanel("name"), FieldPanel("equipment", widget=forms.CheckboxSelectMultiple), FieldRowPanel([FieldPanel("active"), FieldPanel("sort_order")])]
    copy_view_enabled = False


class SupplierViewSet(ClinicModelViewSet):
    """Who sells the clinic supplies and bills it costs (inventory and expenses pick from here).
    Never deleted (their movements and expenses refer to them): set inactive instead."""

    model = Supplier
    icon = "site"
    menu_label = _("Suppliers")
    list_display = ["name", "tax_id", "contact", "phone", "email", BooleanColumn("active")]
    list_filter = ["active"]
    search_fields = ["name", "tax_id", "contact"]
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("tax_id")]),
        FieldRowPanel([FieldPanel("contact"), FieldPanel("email"), FieldPanel("phone")]),
        FieldPanel("notes"),
        FieldPanel("active"),
    ]
    copy_view_enabled = False


class EquipmentViewSet(ClinicModelViewSet):
    model = Equipment
    icon = "cogs"
    menu_label = _("Equipment")
    list_display = ["name"]
    form_fields = ["name"]
    copy_view_enabled = False
