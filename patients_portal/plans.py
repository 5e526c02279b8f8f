"""The patient's treatment plans and estimates (presupuestos) in their account, and the
e-mailed link that opens one estimate without signing in.

An estimate is found through the signed-in patient (``/cuenta/presupuestos/<id>/``: any
other id is not found) or through the link's token, which is signed for this clinic,
this patient and this estimate (clinic.actions.plans.estimate_link_token). Accepting
asks for a ticked box and the patient's name; the acceptance records who, when, from
which IP and the exact version (clinic.actions.plans.AnswerEstimate).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import ProhibitNullCharactersValidator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.actions.base import ActionError
from clinic.actions.plans import AnswerEstimate, estimate_from_token, instalment_due_date, paid_toward
from clinic.models import Estimate, EstimateInstalment, TreatmentPlan
from clinic.records.access import record_access
from clinic.records.models import AccessLogEntry
from portal.throttle import client_ip

from .services import patient_for

Log = AccessLogEntry


class AcceptForm(forms.Form):
    agree = forms.BooleanField(label=gettext_lazy("I have read this estimate and accept the treatment and its price."))
    name = forms.CharField(label=gettext_lazy("Your full name"), max_length=200, validators=[ProhibitNullCharactersValidator()])


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Tell the clinic why (optional)"), max_length=255, required=False,
                             validators=[ProhibitNullCharactersValidator()], widget=forms.Textarea(attrs={"rows": 2}))


@login_required
def estimates(request):
    patient = patient_for(request.user)
    plans = TreatmentPlan.objects.filter(patient=patient).exclude(status=TreatmentPlan.Status.DRAFT).prefetch_related("estimates")
    rows = [{"plan": plan, "estimate": next(iter(sorted(plan.estimates.all(), key=lambda e: -e.version)), None)} for plan in plans]
    return render(request, "patients_portal/estimates.html", {"rows": [row for row in rows if row["estimate"]]})


@login_required
def estimate(request, estimate_id):
    patient = patient_for(request.user)
    found = Estimate.objects.select_related("plan__patient").filter(pk=estimate_id, plan__patient=patient).first()
    if found is None:
        raise Http404
    return _page(request, found, via=Estimate.Via.PORTAL, here=reverse("patients_portal:estimate", args=[found.pk]))


def estimate_link(request, token):
    """The e-mailed link: no sign-in needed (the token stands for the patient), but someone
    else signed in on this browser is refused, and the token is worthless at another clinic."""
    found = estimate_from_token(token)
    if found is None:
        raise Http404
    patient = found.plan.patient
    if request.user.is_authenticated and request.user.pk != patient.user_id:
        raise Http404
    return _page(request, found, via=Estimate.Via.LINK, here=reverse("patients_portal:estimate_link", args=[token]))


def _page(request, found: Estimate, *, via: str, here: str):
    patient = found.plan.patient
    accept_form, reject_form, status = AcceptForm(), RejectForm(), 200
    if request.method == "POST":
        accepting = request.POST.get("answer") == "accept"
        form = AcceptForm(request.POST) if accepting else RejectForm(request.POST)
        if form.is_valid():
            try:
                AnswerEstimate(found, accept=accepting, via=via, ip=client_ip(request), name=form.cleaned_data.get("name", ""),
                               reason=form.cleaned_data.get("reason", ""), actor=request.user).execute()
            except ActionError as error:
                messages.error(request, error.message)
                return redirect(here)
            record_access(request, patient, Log.Action.CHANGE, Log.Area.PLAN, found.number, user=patient.user)
            messages.success(request, _("Thank you: the clinic has your acceptance of estimate %(number)s.") % {"number": found.number}
                             if accepting else _("Thank you: the clinic knows you declined estimate %(number)s.") % {"number": found.number})
            return redirect(here)
        accept_form, reject_form = (form, reject_form) if accepting else (accept_form, form)
        status = 400
    else:
        record_access(request, patient, Log.Action.VIEW, Log.Area.PLAN, found.number, user=patient.user)
    newer = found.plan.estimates.filter(version__gt=found.version).exclude(status=Estimate.Status.WITHDRAWN).first()
    payable = via == Estimate.Via.PORTAL and found.status == Estimate.Status.ACCEPTED
    instalments = []
    for instalment in found.instalments.all():
        paid = paid_toward(instalment)
        instalments.append({"instalment": instalment, "paid": paid, "due": instalment_due_date(instalment, found),
                            "payable": payable and paid < instalment.amount})
    return render(request, "patients_portal/estimate.html", {
        "estimate": found, "plan": found.plan, "lines": found.lines.all(), "instalments": instalments, "accept_form": accept_form,
        "reject_form": reject_form, "newer": newer, "expired": found.is_expired(), "via_link": via == Estimate.Via.LINK,
        "patient": patient,
    }, status=status)


def _my_instalment(request, instalment_id) -> EstimateInstalment:
    """An instalment of one of the signed-in patient's accepted estimates; any other id
    (another patient's, a waiting or replaced estimate's, a huge number) is a 404."""
    return get_object_or_404(EstimateInstalment.objects.select_related("estimate__plan"), pk=instalment_id,
                             estimate__plan__patient=patient_for(request.user), estimate__status=Estimate.Status.ACCEPTED)


@login_required
def pay_instalment(request, instalment_id):
    """The card page for an instalment of an accepted estimate: what is left to pay of it
    (or, with a payment under way, what that payment asked). The amount is the server's."""
    from clinic.payments import InstalmentTarget

    from .views import _card_page

    instalment = _my_instalment(request, instalment_id)
    back = reverse("patients_portal:estimate", args=[instalment.estimate_id])
    target = InstalmentTarget(instalment)
    under_way = target.live_attempts(instalment).first()
    due = target.amount_due(instalment)
    if due <= 0 and under_way is None:
        messages.info(request, _("This instalment is already paid."))
        return redirect(back)
    return _card_page(request, patient=instalment.estimate.plan.patient, amount=under_way.amount if under_way else due,
                      pay_url=reverse("patients_portal:pay_instalment_charge", args=[instalment.pk]), back=back, instalment=instalment)


@login_required
@require_POST
def pay_instalment_charge(request, instalment_id):
    """Charge what is left of the instalment, once (clinic.payments.pay_instalment)."""
    from functools import partial

    from clinic.payments import pay_instalment as charge_instalment

    from .views import _charge

    instalment = _my_instalment(request, instalment_id)
    return _charge(request, partial(charge_instalment, instalment=instalment), reverse("patients_portal:estimate", args=[instalment.estimate_id]))
