"""The operators' Django admin, served on the platform host (public schema) only."""

from functools import cache

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import router
from django.db.models.deletion import Collector
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .accounts import operator_login_blocked, record_operator_login_failure, security_log
from .models import User
from .throttle import client_ip


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

    # Deleting a platform user: the collector would follow the user's relations into
    # clinic-only tables (practitioners, patients, allauth addresses, Wagtail profiles),
    # which do not exist in public: a 500 (issue 8, item 14).
    def get_deleted_objects(self, objs, request):
        collector = PublicSchemaNestedObjects(using=router.db_for_write(self.model), origin=objs)
        collector.collect(objs)
        perms_needed = set()

        def describe(obj):
            model_admin = self.admin_site._registry.get(type(obj))
            if model_admin is not None and not model_admin.has_delete_permission(request, obj):
                perms_needed.add(obj._meta.verbose_name)
            return f"{capfirst(obj._meta.verbose_name)}: {obj}"

        to_delete = collector.nested(describe)
        protected = [describe(obj) for obj in collector.protected]
        counts = {model._meta.verbose_name_plural: len(objs) for model, objs in collector.model_objs.items()}
        return to_delete, counts, perms_needed, protected

    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        if objs:
            collector = PublicSchemaCollector(using=router.db_for_write(self.model), origin=objs)
            collector.collect(objs)
            collector.delete()


@cache
def shared_app_labels() -> frozenset[str]:
    """Labels of the apps whose tables exist in the public schema (SHARED_APPS)."""
    return frozenset(config.label for config in apps.get_app_configs() if config.name in settings.SHARED_APPS)


class _PublicSchemaRelations:
    """A deletion collector for the public schema: relations into clinic-only tables hold
    nothing there, so they are not queried."""

    def related_objects(self, related_model, related_fields, objs):
        if related_model._meta.app_label not in shared_app_labels():
            return related_model._base_manager.using(self.using).none()
        return super().related_objects(related_model, related_fields, objs)


class PublicSchemaCollector(_PublicSchemaRelations, Collector):
    pass


class PublicSchemaNestedObjects(_PublicSchemaRelations, NestedObjects):
    pass


def unregister_clinic_only_models(site=admin.site) -> list[str]:
    """Drop from the operators' admin every model whose app is not in SHARED_APPS: allauth,
    Wagtail images/documents, taggit… register themselves, but their tables exist only in
    clinic schemas, so their pages answered 500 on the platform host (issue 8, item 14).
    Returns the labels removed."""
    removed = [model for model in list(site._registry) if model._meta.app_label not in shared_app_labels()]
    for model in removed:
        site.unregister(model)
    return sorted(model._meta.label for model in removed)
