"""Staff refund a payment (clinic admins): the amount (at most what is left) and why.
Through clinic.actions.payments.RefundPayment; Stripe answers before the page does."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import ProhibitNullCharactersValidator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..actions.base import ActionError
from ..actions.payments import RefundPayment
from ..models import PatientPayment, Refund
from ..refunds import refundable


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount to refund"), min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), decimal_places=2)
    reason = forms.CharField(label=gettext_lazy("Why (kept with the refund)"), max_length=255, validators=[ProhibitNullCharactersValidator()])


def refund_view(request, pk):
    if not request.user.has_perm("clinic.add_refund"):
        raise PermissionDenied
    payment = get_object_or_404(PatientPayment.objects.select_related("patient", "appointment__service"), pk=pk)
    left = refundable(payment)
    form = RefundForm(request.POST or None, initial={"amount": left})
    if request.method == "POST" and form.is_valid():
        try:
            refund = RefundPayment(payment, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"], actor=request.user).execute()
        except ActionError as error:
            form.add_error("amount", error.message)
        else:
            if refund.status == Refund.Status.SUCCEEDED:
                messages.success(request, _("Refund of %(amount)s %(currency)s done.") % {"amount": refund.amount, "currency": refund.currency})
            elif refund.status == Refund.Status.FAILED:
                messages.error(request, _("Stripe refused the refund: %(message)s") % {"message": refund.failure_message})
            else:
                messages.warning(request, _("Stripe did not answer; the refund is kept and will be sent again."))
            return redirect("clinic_records:patient", payment.patient_id)
    return TemplateResponse(request, "clinic/refund.html", {"payment": payment, "left": left, "form": form,
                                                             "refunds": payment.refunds.select_related("requested_by")},
                            status=400 if form.errors else 200)
