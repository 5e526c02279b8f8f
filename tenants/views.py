"""The platform site (public schema): landing, pricing, signup, payment and progress."""

import json

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from billing import gateway
from billing.conf import billing_settings
from portal.tenancy import clinic_url

from .forms import COUNTRIES, SignupForm, slug_problem
from .models import Plan, Signup
from .services import SlugTaken, pay_signup, prepare_signup_payment, start_signup


class LandingView(TemplateView):
    """The platform's front page: what the product does and what it costs."""

    template_name = "tenants/landing.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["plans"] = Plan.objects.filter(is_active=True)
        return context


class PricingView(LandingView):
    template_name = "tenants/pricing.html"


def signup(request):
    """The signup form; a valid one goes on to payment (or, on a trial, to the progress page)."""
    code = request.GET.get("plan", "")
    # PostgreSQL refuses NUL bytes in text (a ValueError from the driver, a 500): a code that
    # cannot exist preselects nothing (issue 8, item 13).
    initial = {"plan": Plan.objects.filter(code=code, is_active=True).first() if code and "\x00" not in code else None}
    form = SignupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            signup = start_signup(form=form)
        except SlugTaken:
            form.add_error("slug", _("That address was just taken. Please choose another."))
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
    problem = slug_problem(slug)
    return JsonResponse({"slug": slug, "available": problem is None, "message": problem or _("Available")})


def _open_signup(signup_id) -> Signup:
    return get_object_or_404(Signup.objects.select_related("plan"), pk=signup_id)


def signup_payment(request, signup_id):
    """The card page. The amount shown and charged is the plan's, from the server."""
    signup = _open_signup(signup_id)
    if signup.status != Signup.Status.PENDING_PAYMENT:
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
    """JSON, from the card page once the card is saved: charge the first period."""
    signup = _open_signup(signup_id)
    try:
        setup_intent = json.loads(request.body or b"{}").get("setup_intent", "")
    except ValueError:
        setup_intent = ""
    if not setup_intent:
        return JsonResponse({"error": _("The card could not be saved. Please try again.")}, status=400)
    try:
        charge = pay_signup(signup=signup, setup_intent=setup_intent)
    except gateway.GatewayError as error:
        return JsonResponse({"error": _("The payment did not go through: %(reason)s") % {"reason": error.message}}, status=402)
    status_url = reverse("tenants:signup_status", kwargs={"signup_id": signup.pk})
    if charge.needs_action:
        return JsonResponse({"state": "requires_action", "client_secret": charge.client_secret, "status_url": status_url})
    return JsonResponse({"state": charge.status, "status_url": status_url})


def signup_status(request, signup_id):
    signup = _open_signup(signup_id)
    return render(request, "tenants/signup_status.html", {"signup": signup, "state": _state(signup)})


@require_GET
def signup_status_json(request, signup_id):
    return JsonResponse(_state(_open_signup(signup_id)))


def _state(signup: Signup) -> dict:
    state = {"status": signup.status, "label": signup.get_status_display()}
    if signup.status == Signup.Status.LIVE and signup.clinic_id:
        state.update(site_url=clinic_url(signup.clinic), admin_url=clinic_url(signup.clinic, "/admin/"))
    elif signup.status == Signup.Status.FAILED:
        state["message"] = _("Your payment is safe. We are finishing your site by hand and will write to you shortly.")
    elif signup.status == Signup.Status.EXPIRED:
        raise Http404
    return state
