"""Billing in the operators' console: events, payments and subscriptions (read-only)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import Payment, StripeEvent, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "received_at", "processed_at", "attempts", "has_error"]
    list_filter = ["type", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["id", "type"]
    actions = ["reprocess"]

    @admin.display(boolean=True, description=_("error"))
    def has_error(self, obj):
        return bool(obj.error)

    @admin.action(description=_("Process the selected events again"))
    def reprocess(self, request, queryset):
        from .services import process_event

        for event in queryset.filter(processed_at__isnull=True):
            process_event(event_id=event.pk)
        self.message_user(request, _("Done."), messages.SUCCESS)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["created", "clinic", "signup", "kind", "amount", "currency", "status", "stripe_payment_intent"]
    list_filter = ["status", "kind"]
    search_fields = ["stripe_payment_intent", "clinic__name", "signup__clinic_name"]
    list_select_related = ["clinic", "signup"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["clinic", "plan", "cancel_at_period_end", "past_due_since", "failed_attempts", "next_attempt_at"]
    list_select_related = ["clinic", "plan"]
