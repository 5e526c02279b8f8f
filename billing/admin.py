"""Billing in the operators' console: events, payments, refunds, subscriptions and the
platform's invoices (read-only, with actions to process an event or send a refund again)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.money import format_money

from .models import Payment, PlatformInvoice, PlatformInvoiceLine, PlatformRefund, StripeEvent, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    """Every event with what became of it: failed ones (after the retries ran out) and
    ignored ones (a Payment Intent that is not ours) are what operators look at."""

    list_display = ["id", "type", "status", "received_at", "processed_at", "attempts", "next_attempt_at", "short_error"]
    list_filter = ["status", "type", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["id", "type", "error"]
    readonly_fields = ["id", "type", "status", "received_at", "processed_at", "attempts", "next_attempt_at", "error", "payload"]
    actions = ["reprocess"]

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return obj.error.strip().splitlines()[-1][:160] if obj.error.strip() else ""

    @admin.action(description=_("Process the selected events again"))
    def reprocess(self, request, queryset):
        from .services import reprocess_by_operator

        count = reprocess_by_operator(event_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("Done: %(count)d event(s) processed again.") % {"count": count}, messages.SUCCESS)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["created", "clinic", "signup", "kind", "amount", "currency", "status", "stripe_payment_intent", "attempted_at"]
    list_filter = ["status", "kind"]
    search_fields = ["stripe_payment_intent", "clinic__name", "signup__clinic_name"]
    list_select_related = ["clinic", "signup"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["clinic", "plan", "cancel_at_period_end", "past_due_since", "failed_attempts", "next_attempt_at"]
    list_select_related = ["clinic", "plan"]


@admin.register(PlatformRefund)
class PlatformRefundAdmin(ReadOnlyAdmin):
    """Refunds of the platform's own payments (a signup paid after its address was taken).

    Failed ones, and pending ones that could not reach Stripe (with the message), are what
    operators look at; *Send again* retries a failed one with the same idempotency key."""

    list_display = ["created", "payment", "amount", "currency", "status", "stripe_refund", "attempts", "completed_at", "notified_at", "failure_message", "requested_by"]
    list_filter = ["status"]
    search_fields = ["stripe_refund", "payment__stripe_payment_intent", "payment__signup__slug", "payment__signup__email", "reason"]
    list_select_related = ["payment", "requested_by"]
    readonly_fields = [f.name for f in PlatformRefund._meta.fields]
    actions = ["send_again"]

    @admin.action(description=_("Send the selected failed refunds again"))
    def send_again(self, request, queryset):
        from .refunds import retry_refund

        refunds = [retry_refund(refund_id=pk, requested_by=request.user) for pk in queryset.values_list("pk", flat=True)]
        done = sum(refund.status == PlatformRefund.Status.SUCCEEDED for refund in refunds)
        level = messages.SUCCESS if done == len(refunds) else messages.WARNING
        self.message_user(request, _("%(done)d of %(count)d refund(s) are refunded.") % {"done": done, "count": len(refunds)}, level)


class PlatformInvoiceLineInline(admin.TabularInline):
    model = PlatformInvoiceLine
    fields = ["description", "quantity", "unit_price", "tax_rate", "base", "tax"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PlatformInvoice)
class PlatformInvoiceAdmin(ReadOnlyAdmin):
    """The platform's invoices and credit notes to clinics: read only, as issued (the
    database refuses changes too); each with its PDF."""

    list_display = ["full_number", "kind", "issue_date", "recipient_name", "recipient_tax_id", "clinic", "amount", "payment", "pdf_link"]
    list_filter = ["kind", "series"]
    search_fields = ["series", "recipient_name", "recipient_tax_id", "payment__clinic__name", "payment__clinic__slug", "payment__stripe_payment_intent", "fingerprint"]
    list_select_related = ["payment__clinic"]
    readonly_fields = [f.name for f in PlatformInvoice._meta.fields]
    inlines = [PlatformInvoiceLineInline]

    def get_urls(self):
        return [path("<int:invoice_id>/pdf/", self.admin_site.admin_view(self.pdf), name="billing_platforminvoice_pdf"), *super().get_urls()]

    @admin.display(description=_("number"), ordering="pk")
    def full_number(self, obj):
        return obj.full_number

    @admin.display(description=_("clinic"))
    def clinic(self, obj):
        return obj.payment.clinic or "—"

    @admin.display(description=_("total"))
    def amount(self, obj):
        return format_money(obj.total, obj.currency)

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        return format_html('<a href="{}">PDF</a>', reverse("admin:billing_platforminvoice_pdf", args=[obj.pk]))

    def pdf(self, request, invoice_id):
        from .invoices import invoice_pdf

        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(PlatformInvoice, pk=invoice_id)
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.full_number}.pdf"'
        return response
