"""The staff notifications page (the bell's list), marking read, the daily summary
preference, and reception's "confirmed by phone" on an appointment.

Views parse, call clinic.notices or the action, and redirect; bad input is a translated
400 on the same page and changes nothing.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import notices
from ..actions import ActionError
from ..actions.appointments import ConfirmAttendance, may_change
from ..models import Appointment
from ..roles import Role


def _page(request, *, error: str = "", status: int = 200):
    listing = notices.listing_for(request.user)
    viewer_is_admin = Role.CLINIC_ADMIN in notices.viewer_for(request.user).roles
    return TemplateResponse(request, "clinic/notices/list.html", {
        "rows": listing.rows, "unread": listing.unread, "error": error, "summary_offered": viewer_is_admin,
        "daily_summary": viewer_is_admin and notices.wants_summary(request.user),
    }, status=status)


def notices_view(request):
    return _page(request)


@require_POST
def mark_read_view(request):
    """Mark one notice read: ``key`` must name a notice this user can see now."""
    key = request.POST.get("key", "")
    visible = {n.key for n in notices.all_notices(notices.viewer_for(request.user))}
    if not key or "\x00" in key or len(key) > notices.KEY_MAX or key not in visible:
        return _page(request, error=_("That notice is not in your list (it may have been resolved meanwhile)."), status=400)
    notices.mark_read(request.user, [key])
    return redirect("clinic_notices:list")


@require_POST
def mark_all_read_view(request):
    keys = [n.key for n in notices.all_notices(notices.viewer_for(request.user))]
    count = notices.mark_read(request.user, keys)
    messages.success(request, _("All notices marked as read.") if count else _("There was nothing unread."))
    return redirect("clinic_notices:list")


@require_POST
def summary_preference_view(request):
    """Clinic admins: the daily summary e-mail on (``daily_summary=on``) or off (absent)."""
    if Role.CLINIC_ADMIN not in notices.viewer_for(request.user).roles:
        raise PermissionDenied
    value = request.POST.get("daily_summary", "")
    if value not in ("", "on"):
        return _page(request, error=_("Tick the box or leave it empty."), status=400)
    notices.set_summary_preference(request.user, daily_summary=value == "on")
    messages.success(request, _("You will get the daily summary by e-mail.") if value else _("You will no longer get the daily summary by e-mail."))
    return redirect(reverse("clinic_notices:list") + "#resumen")


@require_POST
def confirmed_by_phone_view(request, pk):
    """Reception (or the practitioner, on their own) records that the patient said on the
    phone they will come: ConfirmAttendance via PHONE."""
    appointment = get_object_or_404(Appointment.objects.select_related("patient", "practitioner"), pk=pk)
    if not may_change(request.user, appointment):
        raise PermissionDenied
    try:
        ConfirmAttendance(appointment, via=Appointment.AttendanceVia.PHONE, actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(patient)s: confirmed they will come.") % {"patient": appointment.patient})
    return redirect("clinic_agenda:appointment", pk=appointment.pk)
