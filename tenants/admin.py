"""The operators' console (Django admin on the platform host; login always required)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.tenancy import clinic_url

from .models import Clinic, Domain, Plan


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "is_primary"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "status", "plan", "paid_until", "created", "site_link"]
    list_filter = ["kind", "status", "plan"]
    search_fields = ["name", "slug", "domains__domain"]
    readonly_fields = ["schema_name", "kind", "created"]
    fields = ["name", "slug", "schema_name", "kind", "status", "plan", "time_zone", "currency", "paid_until", "created"]
    inlines = [DomainInline]

    def get_readonly_fields(self, request, obj=None):
        # The slug names the schema and the default domain: fixed once the clinic exists.
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields

    def has_add_permission(self, request):
        return False  # clinics are created by signup or `manage.py create_clinic`, which set up the schema

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is deleted; suspend or cancel instead

    @admin.display(description=_("site"))
    def site_link(self, obj):
        if obj.kind != Clinic.Kind.CLINIC:
            return "—"
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', clinic_url(obj), obj.primary_host)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain", "tenant__name"]
    list_select_related = ["tenant"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "price", "currency", "interval", "trial_days", "max_practitioners", "is_active"]
    list_editable = ["is_active"]
    prepopulated_fields = {"code": ["name"]}
