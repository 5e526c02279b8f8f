"""The operators' console (Django admin on the platform host; login always required)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portal.tenancy import clinic_url

from .models import Clinic, Domain, Plan, Signup


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "is_primary"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "practice_type", "status", "plan", "paid_until", "created", "site_link"]
    actions = ["suspend", "reactivate"]
    list_filter = ["kind", "status", "plan"]
    search_fields = ["name", "slug", "domains__domain"]
    readonly_fields = ["schema_name", "kind", "created"]
    fields = ["name", "slug", "schema_name", "kind", "status", "plan", "time_zone", "currency", "paid_until", "document_limit_mb",
              "legal_name", "tax_id", "fiscal_address", "created"]
    inlines = [DomainInline]

    def get_readonly_fields(self, request, obj=None):
        # The slug names the schema and the default domain: fixed once the clinic exists.
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields

    def has_add_permission(self, request):
        return False  # clinics are created by signup or `manage.py create_clinic`, which set up the schema

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is deleted; suspend or cancel instead

    @admin.action(description=_("Suspend the selected clinics (their data stays)"))
    def suspend(self, request, queryset):
        from billing.subscriptions import set_clinic_status

        for clinic in queryset.clinics():
            set_clinic_status(clinic=clinic, status=Clinic.Status.SUSPENDED)
        self.message_user(request, _("Suspended."), messages.SUCCESS)

    @admin.action(description=_("Reactivate the selected clinics"))
    def reactivate(self, request, queryset):
        from billing.subscriptions import set_clinic_status

        for clinic in queryset.clinics():
            set_clinic_status(clinic=clinic, status=Clinic.Status.ACTIVE)
        self.message_user(request, _("Reactivated."), messages.SUCCESS)

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


@admin.register(Signup)
class SignupAdmin(admin.ModelAdmin):
    """Signups with their payment and any provisioning error; paid or failed ones can be retried."""

    list_display = ["clinic_name", "slug", "email", "plan", "status", "provisioning_attempts", "created", "paid_at", "live_at"]
    list_filter = ["status", "plan"]
    search_fields = ["clinic_name", "slug", "email", "contact_name"]
    readonly_fields = [f.name for f in Signup._meta.fields] + ["payments_summary"]
    actions = ["retry_provisioning"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("payments"))
    def payments_summary(self, obj):
        return format_html_join(", ", "{} ({})", ((str(p), p.stripe_payment_intent or "—") for p in obj.payments.all())) or "—"

    @admin.action(description=_("Retry provisioning of the selected paid or failed signups"))
    def retry_provisioning(self, request, queryset):
        from .services import retry_provisioning

        done = 0
        for signup in queryset.filter(status__in=Signup.PAID_STATUSES):
            try:
                retry_provisioning(signup=signup)
                done += 1
            except ValidationError as error:
                self.message_user(request, _("%(signup)s: %(error)s") % {"signup": signup, "error": " ".join(error.messages)}, messages.WARNING)
            except Exception as error:  # shown to the operator; the signup keeps the traceback
                self.message_user(request, _("%(signup)s failed again: %(error)s") % {"signup": signup, "error": error}, messages.ERROR)
        if done:
            self.message_user(request, _("%(count)d clinic(s) are now live.") % {"count": done}, messages.SUCCESS)
