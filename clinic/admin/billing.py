"""The clinic's plan and payments, in its staff admin (clinic admins only)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from billing import gateway
from billing.card_page import card_not_saved, json_object, setup_intent_of
from billing.conf import billing_settings
from billing.invoices import invoice_pdf, invoices_of
from billing.models import Payment, Subscription
from billing.subscriptions import charge_renewal, set_cancel_at_period_end, start_card_update, update_card
from tenants.forms import ClinicLegalForm
from tenants.models import Clinic
from tenants.services import update_legal_data

from ..roles import is_clinic_admin


def _require_admin(request):
    if not is_clinic_admin(request.user):
        raise PermissionDenied


def billing(request):
    """The plan, the card, the payments, the platform's invoices and the clinic's legal data
    they are made out to. A POST with ``action=legal`` saves that data (refused with the
    form's messages, status 400, changing nothing); the other actions need a subscription."""
    _require_admin(request)
    clinic = Clinic.objects.get(pk=request.tenant.pk)  # fresh: the host cache may hold an older copy
    subscription = Subscription.objects.select_related("plan").filter(clinic=clinic).first()
    legal_form = ClinicLegalForm(instance=clinic)
    if request.method == "POST" and request.POST.get("action") == "legal":
        legal_form = ClinicLegalForm(request.POST, instance=Clinic.objects.get(pk=clinic.pk))
        if legal_form.is_valid():
            update_legal_data(clinic=clinic, **{name: legal_form.cleaned_data[name] for name in ("legal_name", "tax_id", "fiscal_address")})
            messages.success(request, _("Legal data saved. Your next invoices will be made out to it."))
            return redirect("clinic_billing")
    elif request.method == "POST" and subscription:
        action = request.POST.get("action")
        if action in ("cancel", "resume"):
            set_cancel_at_period_end(clinic=clinic, cancel=action == "cancel")
            messages.success(request, _("Your plan will end at the close of the period.") if action == "cancel" else _("Your plan will renew as usual."))
        elif action == "pay":
            payment = charge_renewal(subscription_id=subscription.pk, off_session=False)
            _report(request, payment)
        return redirect("clinic_billing")
    context = {
        "clinic": clinic,
        "subscription": subscription,
        "payments": Payment.objects.filter(clinic=clinic).order_by("-created")[:24],
        "can_pay_now": clinic.status != clinic.Status.ACTIVE,
        "invoices": invoices_of(clinic)[:48],
        "legal_form": legal_form,
    }
    if subscription and request.GET.get("tarjeta"):
        try:
            context["stripe"] = {"key": billing_settings.publishable_key, "setupSecret": start_card_update(clinic=clinic), "js": billing_settings.js_url}
        except gateway.GatewayError:
            messages.error(request, _("Payments are not available right now. Please try again in a few minutes."))
    return TemplateResponse(request, "clinic/billing.html", context, status=400 if legal_form.errors else 200)


def billing_invoice_pdf(request, invoice_id):
    """One of this clinic's platform invoices as PDF (clinic admins only). Another clinic's
    invoice, or an id that exists nowhere, answers 404."""
    _require_admin(request)
    invoice = get_object_or_404(invoices_of(request.tenant), pk=invoice_id)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.full_number}.pdf"'
    return response


@require_POST
def billing_card(request):
    """JSON from the card form: save the card; when the plan is unpaid, charge it now."""
    _require_admin(request)
    clinic = request.tenant
    setup_intent = setup_intent_of(json_object(request))
    if not setup_intent:
        return card_not_saved()
    try:
        update_card(clinic=clinic, setup_intent=setup_intent)
    except (ValueError, gateway.GatewayError):
        return card_not_saved()
    if clinic.status != clinic.Status.ACTIVE:
        payment = charge_renewal(subscription_id=Subscription.objects.get(clinic=clinic).pk, off_session=False)
        _report(request, payment)
    else:
        messages.success(request, _("Card saved. It will pay your next renewals."))
    return JsonResponse({"state": "succeeded", "status_url": reverse("clinic_billing")})


def _report(request, payment):
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(request, _("Thank you: payment received. Your site is active."))
    elif payment.status == Payment.Status.FAILED:
        messages.error(request, _("The payment failed: %(reason)s") % {"reason": payment.failure_message})
    else:
        messages.info(request, _("Payment in progress. This page will show it as soon as it is confirmed."))


class BillingMenuItem(MenuItem):
    def is_shown(self, request):
        return is_clinic_admin(request.user)


class BillingNoticePanel(Component):
    """On the dashboard of a clinic whose plan is unpaid: what it means and a way to pay."""

    order = 10
    template_name = "clinic/billing_panel.html"

    def __init__(self, clinic):
        self.clinic = clinic

    def get_context_data(self, parent_context):
        return {"clinic": self.clinic}
