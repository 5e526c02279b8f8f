from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsPortalConfig(AppConfig):
    name = "patients_portal"
    verbose_name = _("Patient portal")
