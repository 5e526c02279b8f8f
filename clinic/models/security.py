"""The clinic's security setting (tenant schema): two-factor sign-in for its staff."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="lock")
class SecuritySettings(BaseGenericSetting):
    """Edited by clinic admins only (``clinic.change_securitysettings``, clinic/roles.py);
    Wagtail's settings view writes each change to the clinic's audit log ("wagtail.edit").

    ``require_staff_mfa``: staff without an authenticator app are sent to set one up
    before anything else (``portal.mfa.StaffTwoFactorMiddleware``). Patients are never forced.
    """

    require_staff_mfa = models.BooleanField(
        _("two-factor sign-in required for all staff"), default=False,
        help_text=_("Staff who have not set up an authenticator app are asked to do it before they can use the admin. Patients may still choose."),
    )

    panels = [FieldPanel("require_staff_mfa")]

    class Meta:
        verbose_name = _("security")
