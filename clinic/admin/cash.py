"""The day's cash close (reception and clinic admins): per desk method what the ledger
expects, what was counted, the difference; then it stays as closed."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.tenancy import clinic_zone

from ..actions.base import ActionError
from ..actions.payments import CloseCash
from ..availability import BadRequest, parse_day
from ..balance import DESK_METHODS, day_bounds, expected_at_the_desk
from ..models import CashClose, PatientPayment

MAX = Decimal("99999999.99")


def cash_view(request):
    if not request.user.has_perm("clinic.view_cashclose"):
        raise PermissionDenied
    today = timezone.localdate(timezone.now(), clinic_zone())
    try:
        day = parse_day(request.GET.get("dia")) if request.GET.get("dia") else today
    except BadRequest as error:
        return TemplateResponse(request, "clinic/agenda/bad_request.html", {"message": str(error)}, status=400)
    closes = list(CashClose.objects.filter(day=day).select_related("closed_by"))
    error, counted = None, {}
    if request.method == "POST":
        if not request.user.has_perm("clinic.add_cashclose"):
            raise PermissionDenied
        try:
            for method in DESK_METHODS:
                raw = request.POST.get(f"contado_{method}", "").replace(",", ".").strip()
                value = Decimal(raw) if raw else None
                if value is not None and (not value.is_finite() or value < 0 or value > MAX):
                    raise ActionError(_("Enter what was counted for each method (0 if nothing)."))
                counted[method] = value
            CloseCash(day=day, counted=counted, note=request.POST.get("nota", ""), actor=request.user).execute()
        except (ActionError, InvalidOperation) as problem:
            error = getattr(problem, "message", None) or _("Enter what was counted for each method (0 if nothing).")
        else:
            messages.success(request, _("Cash of %(day)s closed.") % {"day": day.strftime("%d/%m/%Y")})
            return redirect(reverse("clinic_cash") + f"?dia={day.isoformat()}")
    expected = expected_at_the_desk(day)
    labels = dict(PatientPayment.Method.choices)
    start, end = day_bounds(day)
    payments = PatientPayment.objects.filter(method__in=DESK_METHODS, received_at__gte=start, received_at__lt=end).select_related(
        "patient", "recorded_by").order_by("received_at")
    rows = [{"method": m, "label": labels[m], **expected[m], "counted": request.POST.get(f"contado_{m}", "")} for m in DESK_METHODS]
    return TemplateResponse(request, "clinic/cash.html", {
        "day": day, "today": today, "previous": day - timedelta(days=1), "next": day + timedelta(days=1), "rows": rows,
        "closes": closes, "payments": payments, "error": error, "can_close": request.user.has_perm("clinic.add_cashclose") and not closes and day <= today,
    }, status=400 if error else 200)
