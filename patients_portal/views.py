"""The patient side of a clinic's site: booking, my appointments, paying, my data.

Every appointment and payment is looked up through the signed-in patient, so an
id typed into the address bar finds nothing that is not theirs (PRIOR-ART #13).
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from billing import gateway
from billing.card_page import card_not_saved, charge_refused, json_object, setup_intent_of
from billing.conf import billing_settings
from clinic.availability import MAX_RANGE_DAYS, BadRequest, booking_window, find_slots, parse_day, parse_instant
from clinic.actions import BookAppointment, BookingError, CancelAppointment, RescheduleAppointment, can_change
from clinic.models import Appointment, Estimate, Invoice, InvoicingSettings, Practitioner, Service
from portal.mfa import has_totp
from portal.tenancy import clinic_zone

from .forms import BookForm, ProfileForm
from .services import export_patient_data, patient_for


class AccountView(LoginRequiredMixin, TemplateView):
    """The signed-in person's home on the clinic site."""

    template_name = "patients_portal/account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["is_staff_member"] = user.has_perm("wagtailadmin.access_admin")
        context["two_factor_on"] = has_totp(user)
        patient = patient_for(user)
        context["next_appointment"] = Appointment.objects.upcoming_for(patient).select_related("service", "practitioner__user").first()
        context["open_estimates"] = Estimate.objects.filter(plan__patient=patient, status=Estimate.Status.PRESENTED,
                                                            valid_until__gte=timezone.localdate(timezone.now(), clinic_zone())).count()
        return context


def _bad_request(request, error: BadRequest):
    """A 400 in the clinic's theme that says what was wrong with the address typed."""
    return render(request, "patients_portal/bad_request.html", {"message": str(error)}, status=400)


def _bookable(slug) -> Service:
    return get_object_or_404(Service.objects.bookable_online(), slug=slug)


def _practitioner(service, value):
    if value in (None, "", "any"):
        return None
    try:
        return Practitioner.objects.active().filter(services=service).get(pk=int(value))
    except (ValueError, Practitioner.DoesNotExist):
        raise Http404 from None


def booking_open_required(view):
    """Until the clinic has a practitioner with hours offering an online service
    (clinic.onboarding), the booking pages say "call us" instead of an empty grid."""
    from functools import wraps

    from clinic.onboarding import booking_open

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if booking_open(request):
            return view(request, *args, **kwargs)
        if request.path.endswith("/huecos/"):
            return JsonResponse({"error": _("Online booking is not open yet. Please call the clinic.")}, status=409)
        return render(request, "patients_portal/booking_closed.html", status=200)

    return wrapper


@booking_open_required
def services(request):
    """Step 1: what for."""
    groups: dict = {}
    for service in Service.objects.bookable_online().select_related("category"):
        groups.setdefault(service.category, []).append(service)
    return render(request, "patients_portal/book_services.html", {"service_groups": list(groups.items())})


@booking_open_required
def pick_time(request, slug, appointment_id=None):
    """Steps 2–4: who, which day, what time (works without JavaScript)."""
    service = _bookable(slug)
    moving = None
    if appointment_id is not None:  # rescheduling reuses this page
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")
        moving = get_object_or_404(Appointment, pk=appointment_id, patient=patient_for(request.user), service=service)
    practitioner = _practitioner(service, request.GET.get("profesional"))
    today = timezone.localdate(timezone=clinic_zone())
    try:
        day = parse_day(request.GET.get("dia")) or today
    except BadRequest as error:
        return _bad_request(request, error)
    last = timezone.localdate(booking_window()[1], timezone=clinic_zone())
    day = min(max(day, today), last)  # a week past the horizon would offer nothing anyway
    week = [day + timedelta(days=i) for i in range(7)]
    slots = find_slots(service=service, practitioner=practitioner, start=day, end=day)
    context = {
        "service": service, "practitioners": Practitioner.objects.active().filter(services=service).select_related("user"),
        "practitioner": practitioner, "day": day, "week": week, "previous_day": day - timedelta(days=7) if day > today else None,
        "slots": [(timezone.localtime(s.start, clinic_zone()), s) for s in slots], "moving": moving,
    }
    return render(request, "patients_portal/book_time.html", context)


@booking_open_required
@login_required
def review(request, slug):
    """Step 5: price, deposit, cancellation policy, then confirm."""
    service = _bookable(slug)
    practitioner = _practitioner(service, request.GET.get("profesional"))
    try:
        start = parse_instant(request.GET.get("inicio"), *booking_window())
    except BadRequest as error:
        return _bad_request(request, error)
    form = BookForm(request.POST if request.method == "POST" else None)
    if service.payment_policy != Service.PaymentPolicy.OPTIONAL:
        form.fields.pop("pay_online")
    if request.method == "POST" and form.is_valid():
        try:
            appointment = BookAppointment(
                patient=patient_for(request.user), service=service, start=start, practitioner=practitioner,
                pay_online=form.cleaned_data.get("pay_online", True), actor=request.user,
            ).execute()
        except BookingError as error:
            messages.error(request, error.message)
            return redirect(f"{reverse('patients_portal:pick_time', args=[service.slug])}?dia={timezone.localtime(start, clinic_zone()).date()}"
                            + (f"&profesional={practitioner.pk}" if practitioner else ""))
        if appointment.status == Appointment.Status.PENDING_PAYMENT:
            return redirect("patients_portal:pay", appointment_id=appointment.pk)
        messages.success(request, _("Your appointment is confirmed. We have e-mailed you the details."))
        return redirect("patients_portal:appointment", appointment_id=appointment.pk)
    from clinic.models import BookingSettings

    context = {
        "service": service, "practitioner": practitioner, "start": timezone.localtime(start, clinic_zone()), "form": form,
        "settings": BookingSettings.load(), "deposit_only": service.payment_policy == Service.PaymentPolicy.DEPOSIT,
        "online_amount": service.online_amount(True),
    }
    return render(request, "patients_portal/book_review.html", context)


@require_GET
@booking_open_required
def slots_json(request):
    """Free times as JSON: ?servicio=<id>&profesional=<id|any>&desde=YYYY-MM-DD&hasta=YYYY-MM-DD."""
    try:
        service = Service.objects.bookable_online().get(pk=int(request.GET["servicio"]))
    except (KeyError, ValueError, Service.DoesNotExist):
        return JsonResponse({"error": _("Unknown service.")}, status=400)
    raw = request.GET.get("profesional", "any")
    practitioner = None
    if raw != "any":
        try:
            practitioner = Practitioner.objects.active().filter(services=service).get(pk=int(raw))
        except (ValueError, Practitioner.DoesNotExist):
            return JsonResponse({"error": _("Unknown practitioner for this service.")}, status=400)
    try:
        start, end = parse_day(request.GET.get("desde")), parse_day(request.GET.get("hasta"))
    except BadRequest:
        start = end = None
    if not start or not end:
        return JsonResponse({"error": _("Give the dates as YYYY-MM-DD.")}, status=400)
    try:
        slots = find_slots(service=service, practitioner=practitioner, start=start, end=end)
    except BadRequest:
        return JsonResponse({"error": _("Choose an end date after the start date, at most %(days)d days later.") % {"days": MAX_RANGE_DAYS}}, status=400)
    zone = clinic_zone()
    return JsonResponse({
        "service": service.pk, "time_zone": zone.key,
        "slots": [{"start": timezone.localtime(s.start, zone).isoformat(), "end": timezone.localtime(s.end, zone).isoformat(), "practitioner": s.practitioner_id} for s in slots],
    })


def _mine(request, appointment_id) -> Appointment:
    return get_object_or_404(Appointment.objects.select_related("service", "practitioner__user"), pk=appointment_id, patient=patient_for(request.user))


@login_required
def appointments(request):
    patient = patient_for(request.user)
    context = {
        "upcoming": Appointment.objects.upcoming_for(patient).select_related("service", "practitioner__user"),
        "past": Appointment.objects.past_for(patient).select_related("service", "practitioner__user")[:50],
        "payments": patient.payments.select_related("appointment__service", "invoice")[:50],
        "invoices": Invoice.objects.with_outstanding().filter(patient=patient).order_by("-pk")[:50],
        "zone": clinic_zone(),
    }
    return render(request, "patients_portal/appointments.html", context)


@login_required
def appointment(request, appointment_id):
    item = _mine(request, appointment_id)
    return render(request, "patients_portal/appointment.html", {"appointment": item, "can_change": can_change(item), "start": timezone.localtime(item.start, clinic_zone())})


@login_required
@require_POST
def cancel(request, appointment_id):
    item = _mine(request, appointment_id)
    reason = request.POST.get("reason", "").replace("\x00", "")  # free text; PostgreSQL refuses NUL (a 500)
    try:
        refunded = CancelAppointment(item, by=Appointment.CancelledBy.PATIENT, reason=reason, actor=request.user).execute()
    except BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your appointment is cancelled.") + (" " + _("The online payment will be refunded to your card.") if refunded else ""))
    return redirect("patients_portal:appointments")


@login_required
@require_POST
def reschedule(request, appointment_id):
    item = _mine(request, appointment_id)
    practitioner = _practitioner(item.service, request.POST.get("profesional"))
    try:
        if not request.POST.get("inicio"):
            raise BookingError(_("Choose a new time."))
        start = parse_instant(request.POST["inicio"], *booking_window())
        new = RescheduleAppointment(item, start=start, practitioner=practitioner, actor=request.user).execute()
    except BadRequest as error:
        messages.error(request, str(error))
        return redirect("patients_portal:appointment", appointment_id=item.pk)
    except BookingError as error:
        messages.error(request, error.message)
        return redirect("patients_portal:appointment", appointment_id=item.pk)
    messages.success(request, _("Your appointment has been moved."))
    return redirect("patients_portal:appointment", appointment_id=new.pk)


def _card_page(request, *, patient, amount, pay_url, back, **context):
    """The one card page (``pay.html``: Stripe.js card element, saved card offered) for
    whatever is paid; ``amount`` is the server's. Stripe unreachable: back, with a message."""
    from clinic.payments import prepare_card

    try:
        secret = prepare_card(patient=patient)
    except gateway.GatewayError:
        messages.error(request, _("Payments are not available right now. Please try again in a few minutes."))
        return redirect(back)
    return render(request, "patients_portal/pay.html", {
        **context, "amount": amount, "has_saved_card": bool(patient.saved_card), "pay_url": pay_url,
        "stripe": {"key": billing_settings.publishable_key, "setupSecret": secret, "js": billing_settings.js_url},
    })


def _charge(request, pay, status_url):
    """JSON from the card page: ``pay(setup_intent=, use_saved_card=)`` charges once however
    many times it is called (clinic.payments.pay). A body that is not a JSON object, or
    names no card, is a 400 and charges nothing."""
    data = json_object(request)
    if data is None or not isinstance(data.get("setup_intent", ""), str):
        return card_not_saved()
    setup_intent, use_saved_card = setup_intent_of(data), data.get("saved_card") is True
    if not (setup_intent or use_saved_card):
        return card_not_saved()
    try:
        charge = pay(setup_intent=setup_intent, use_saved_card=use_saved_card)
    except BookingError as error:
        return JsonResponse({"error": error.message}, status=400)
    except gateway.GatewayError as error:
        return charge_refused(error)
    if charge.needs_action:
        return JsonResponse({"state": "requires_action", "client_secret": charge.client_secret, "status_url": status_url})
    return JsonResponse({"state": charge.status, "status_url": status_url})


@login_required
def pay(request, appointment_id):
    """The card page for an appointment held for payment. The amount is the server's."""
    item = _mine(request, appointment_id)
    if item.status != Appointment.Status.PENDING_PAYMENT:
        return redirect("patients_portal:appointment", appointment_id=item.pk)
    return _card_page(request, patient=item.patient, amount=item.amount_online, pay_url=reverse("patients_portal:pay_charge", args=[item.pk]),
                      back=reverse("patients_portal:appointment", args=[item.pk]), appointment=item,
                      start=timezone.localtime(item.start, clinic_zone()))


@login_required
@require_POST
def pay_charge(request, appointment_id):
    """Charge the appointment once (clinic.payments.pay_appointment)."""
    from functools import partial

    from clinic.payments import pay_appointment

    item = _mine(request, appointment_id)
    return _charge(request, partial(pay_appointment, appointment=item), reverse("patients_portal:appointment", args=[item.pk]))


def _my_invoice(request, invoice_id) -> Invoice:
    """One of the signed-in patient's invoices (never a credit note), with what is
    outstanding; any other id (another patient's, a huge number) is a 404."""
    return get_object_or_404(Invoice.objects.with_outstanding(), pk=invoice_id, patient=patient_for(request.user), kind=Invoice.Kind.INVOICE)


INVOICES_URL = "patients_portal:appointments"


@login_required
def pay_invoice(request, invoice_id):
    """The card page for one of the patient's invoices: what is outstanding on it (or, with
    a payment under way, what that payment asked)."""
    from clinic.payments import InvoiceTarget

    invoice = _my_invoice(request, invoice_id)
    under_way = InvoiceTarget(invoice).live_attempts(invoice).first()
    if invoice.outstanding <= 0 and under_way is None:
        messages.info(request, _("Invoice %(number)s is already paid.") % {"number": invoice.full_number})
        return redirect(reverse(INVOICES_URL) + "#invoices")
    return _card_page(request, patient=invoice.patient, amount=under_way.amount if under_way else invoice.outstanding,
                      pay_url=reverse("patients_portal:pay_invoice_charge", args=[invoice.pk]), back=reverse(INVOICES_URL) + "#invoices", invoice=invoice)


@login_required
@require_POST
def pay_invoice_charge(request, invoice_id):
    """Charge what is outstanding on the invoice, once (clinic.payments.pay_invoice)."""
    from functools import partial

    from clinic.payments import pay_invoice as charge_invoice

    invoice = _my_invoice(request, invoice_id)
    return _charge(request, partial(charge_invoice, invoice=invoice), reverse(INVOICES_URL) + "#invoices")


@login_required
def receipt(request, payment_id):
    patient = patient_for(request.user)
    payment = get_object_or_404(patient.payments.select_related("appointment__service", "appointment__practitioner__user", "invoice",
                                                                "instalment__estimate__plan"), pk=payment_id)
    return render(request, "patients_portal/receipt.html", {
        "payment": payment, "patient": patient, "received": timezone.localtime(payment.received_at, clinic_zone()),
        # The clinic's legal name and tax ID (Settings › Invoicing), when it filled them in.
        "issuer": InvoicingSettings.load(),
    })


@login_required
def profile(request):
    patient = patient_for(request.user)
    form = ProfileForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        from clinic.actions.self_service import UpdateOwnDetails

        UpdateOwnDetails(user=request.user, patient=patient, changes={name: form.cleaned_data[name] for name in form.Meta.fields}).execute()
        messages.success(request, _("Your details are saved."))
        return redirect("patients_portal:account")
    return render(request, "patients_portal/profile.html", {"form": form})


@login_required
def my_data(request):
    from clinic.records.access import record_access
    from clinic.records.models import AccessLogEntry

    patient = patient_for(request.user)
    record_access(request, patient, AccessLogEntry.Action.EXPORT, AccessLogEntry.Area.RECORD, "JSON")
    response = JsonResponse(export_patient_data(patient), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="mis-datos.json"'
    return response
