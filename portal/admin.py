from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .accounts import client_ip, operator_login_blocked, record_operator_login_failure, security_log
from .models import User


class OperatorAuthenticationForm(AdminAuthenticationForm):
    """The operators' sign-in, throttled per IP and per account like the clinics' allauth sign-in
    (or stricter: OPERATOR_LOGIN_FAILURES). While throttled even the right password is refused."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-in attempts. Try again in a few minutes."),
    }

    def clean(self):
        ip, email = client_ip(self.request), (self.data.get("username") or "").strip().lower()
        if operator_login_blocked(ip=ip, email=email):
            security_log.warning("operator sign-in refused, too many failures: %s from %s", email, ip)
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except ValidationError:
            record_operator_login_failure(ip=ip, email=email)
            raise


admin.site.site_header = _("Clinic Portal — operators")
admin.site.site_title = _("Clinic Portal operators")
admin.site.login_form = OperatorAuthenticationForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Platform operators (public schema only: this admin is routed on the platform host)."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_superuser", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "phone")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
