"""The platform site (public schema): landing, pricing, signup, payment and progress."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from billing import gateway
from billing.card_page import card_not_saved, charge_refused, json_object, setup_intent_of
from billing.conf import billing_settings
from portal.tenancy import clinic_url
from portal.throttle import client_ip

from . import ratelimit
from .conf import tenants_settings
from .forms import COUNTRIES, SignupForm, slug_problem
from .models import Plan, Signup
from .services import (
    InvalidConfirmation,
    SlugTaken,
    TooManyOpenSignups,
    confirm_signup_email,
    pay_signup,
    prepare_signup_payment,
    start_signup,
)


class LandingView(TemplateView):
    """The platform's front page: what the product does and what it costs."""

    template_name = "tenants/landing.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["plans"] = Plan.objects.filter(is_active=True)
        return context


class PricingView(LandingView):
    template_name = "tenants/pricing.html"


def _too_many_requests(request):
    response = render(request, "tenants/rate_limited.html", status=429)
    response["Retry-After"] = "60"
    return response


def signup(request):
    """The signup form; a valid one goes on to payment (or, on a trial, to the progress
    page, which asks to confirm the e-mail address). Posts are rate-limited per IP."""
    if request.method == "POST" and not ratelimit.consume(request, action="signup", rates=tenants_settings.signup_rate):
        return _too_many_requests(request)
    code = request.GET.get("plan", "")
    # PostgreSQL refuses NUL bytes in text (a ValueError from the driver, a 500): a code that
    # cannot exist preselects nothing (issue 8, item 13).
    initial = {"plan": Plan.objects.filter(code=code, is_active=True).first() if code and "\x00" not in code else None}
    form = SignupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            signup = start_signup(form=form, ip_address=client_ip(request))
        except SlugTaken:
            form.add_error("slug", _("That address was just taken. Please choose another."))
        except TooManyOpenSignups:
            form.add_error(
                None,
                _("There are already %(count)d unfinished signups from this e-mail address or network. Finish one of them, or try again in %(minutes)d minutes.")
                % {"count": tenants_settings.max_open_signups, "minutes": tenants_settings.signup_hold_minutes},
            )
        else:
            if signup.status == Signup.Status.PENDING_PAYMENT:
                return redirect("tenants:signup_payment", signup_id=signup.pk)
            return redirect("tenants:signup_status", signup_id=signup.pk)
    zones = {code: zone for code, (_name, zone, _currency) in COUNTRIES.items()}
    return render(request, "tenants/signup.html", {"form": form, "country_zones": zones})


@require_GET
def check_slug(request):
    """As the user types: is this address free? ``{"available": bool, "message": str}``."""
    slug = request.GET.get("slug", "").strip().lower()
    if not ratelimit.consume(request, action="check_slug", rates=tenants_settings.slug_check_rate):
        message = _("Too many attempts. Please wait a minute and try again.")
        return JsonResponse({"slug": slug, "available": False, "message": message}, status=429)
    problem = slug_problem(slug)
    return JsonResponse({"slug": slug, "available": problem is None, "message": problem or _("Available")})


def _open_signup(signup_id) -> Signup:
    return get_object_or_404(Signup.objects.select_related("plan"), pk=signup_id)


def signup_payment(request, signup_id):
    """The card page. The amount shown and charged is the plan's, from the server."""
    signup = _open_signup(signup_id)
    if signup.status != Signup.Status.PENDING_PAYMENT or signup.hold_ends < timezone.now():
        return redirect("tenants:signup_status", signup_id=signup.pk)
    try:
        client_secret = prepare_signup_payment(signup=signup)
    except gateway.GatewayError as error:
        return render(request, "tenants/signup_payment.html", {"signup": signup, "gateway_error": error.message}, status=503)
    return render(
        request,
        "tenants/signup_payment.html",
        {
            "signup": signup,
            "stripe": {"key": billing_settings.publishable_key, "setupSecret": client_secret, "js": billing_settings.js_url},
            "pay_url": reverse("tenants:signup_pay", kwargs={"signup_id": signup.pk}),
            "status_url": reverse("tenants:signup_status", kwargs={"signup_id": signup.pk}),
        },
    )


@require_POST
def signup_pay(request, signup_id):
    """JSON, from the card page once the card is saved: charge the first period.

    Any number of calls charge once (tenants.services.pay_signup); a body that is
    not a JSON object is a 400 that changes nothing.
    """
    signup = _open_signup(signup_id)
    setup_intent = setup_intent_of(json_object(request))
    if not setup_intent:
        return card_not_saved()
    try:
        charge = pay_signup(signup=signup, setup_intent=setup_intent)
    except gateway.GatewayError as error:
        return charge_refused(error)
    status_url = reverse("tenants:signup_status", kwargs={"signup_id": signup.pk})
    if charge.needs_action:
        return JsonResponse({"state": "requires_action", "client_secret": charge.client_secret, "status_url": status_url})
    return JsonResponse({"state": charge.status, "status_url": status_url})


def signup_confirm(request, signup_id, token):
    """The link in a trial signup's confirmation e-mail: a page with a button (mail scanners
    follow links), whose POST confirms the address and starts provisioning."""
    signup = _open_signup(signup_id)
    if request.method == "POST":
        try:
            confirm_signup_email(signup_id=signup.pk, token=token)
        except InvalidConfirmation:
            return render(request, "tenants/signup_confirm.html", {"signup": signup, "invalid": True}, status=400)
        return redirect("tenants:signup_status", signup_id=signup.pk)
    if signup.email_confirmed_at:
        return redirect("tenants:signup_status", signup_id=signup.pk)
    return render(request, "tenants/signup_confirm.html", {"signup": signup, "invalid": False})


def signup_status(request, signup_id):
    signup = _open_signup(signup_id)
    state = _state(signup)
    # Opened before paying (or after a declined card): not "payment received", but the way back to the card page.
    not_paid = state["status"] == Signup.Status.PENDING_PAYMENT and not signup.payments.exclude(status="failed").exists()
    return render(request, "tenants/signup_status.html", {"signup": signup, "state": state, "not_paid": not_paid})


@require_GET
def signup_status_json(request, signup_id):
    return JsonResponse(_state(_open_signup(signup_id)))


def _state(signup: Signup) -> dict:
    """What the progress page shows, as JSON too. An unpaid signup past its hold shows as
    expired even before the expiry job runs; an expired one whose payment was already
    attempted shows as waiting for that payment (a late payment is still honoured), and
    one whose late payment is being refunded (its address was taken) says so."""
    status = signup.status
    if status in Signup.UNPAID_STATUSES and signup.hold_ends < timezone.now():
        status = Signup.Status.EXPIRED
    if status == Signup.Status.EXPIRED:
        refund = _late_payment_refund(signup)
        if refund is not None:
            return {"status": status, "label": Signup.Status(status).label, "refund": refund.status, "message": _refund_message(signup, refund)}
    if status == Signup.Status.EXPIRED and signup.payments.exists():
        status = Signup.Status.PENDING_PAYMENT
    state = {"status": status, "label": Signup.Status(status).label}
    if status == Signup.Status.LIVE and signup.clinic_id:
        state.update(site_url=clinic_url(signup.clinic), admin_url=clinic_url(signup.clinic, "/admin/"))
    elif status == Signup.Status.FAILED:
        if signup.amount_due:
            state["message"] = _("Your payment is safe. We are finishing your site by hand and will write to you shortly.")
        else:
            state["message"] = _("We are finishing your site by hand and will write to you shortly.")
    elif status == Signup.Status.PENDING_EMAIL:
        state["message"] = _(
            "Check your e-mail: we have sent a link to %(email)s. Open it within %(minutes)d minutes to confirm the address and create your site."
        ) % {"email": signup.email, "minutes": tenants_settings.signup_hold_minutes}
    elif status == Signup.Status.EXPIRED:
        state["message"] = _("This signup has expired and its address was released. You can sign up again.")
    return state


def _late_payment_refund(signup: Signup):
    """The refund of a payment that arrived after the signup expired and its address was taken."""
    from billing.models import PlatformRefund

    return PlatformRefund.objects.filter(payment__signup=signup).order_by("-created").first()


def _refund_message(signup: Signup, refund) -> str:
    from django.conf import settings

    from theme.templatetags.theme_tags import money

    values = {"address": f"{signup.slug}.{settings.PLATFORM_HOST}", "amount": money(refund.amount, refund.currency), "email": signup.email}
    if refund.status == refund.Status.SUCCEEDED:
        return _(
            "Your address %(address)s was taken while your payment was on its way, so we could not create your site. "
            "We have refunded your payment of %(amount)s in full and sent the details to %(email)s."
        ) % values
    return _(
        "Your address %(address)s was taken while your payment was on its way, so we could not create your site. "
        "We are refunding your payment of %(amount)s in full and will write to %(email)s when it is done."
    ) % values
