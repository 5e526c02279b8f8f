"""The patient confirms they will come: the reminder's "Confirm I'll come" link (no sign-in
needed: the token, signed for this clinic, this appointment and its patient, stands for
them) or the button on the appointment in their account.

The link opens a page with one button (a POST): mail scanners that open every link in
an e-mail must not confirm on the patient's behalf. Confirming twice is harmless
(clinic.actions.appointments.ConfirmAttendance).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.actions.appointments import ConfirmAttendance, appointment_from_token
from clinic.actions.base import ActionError
from clinic.models import Appointment
from portal.tenancy import clinic_zone

from .services import patient_for


def confirm_attendance_link(request, token):
    """GET: the appointment and the button; POST: confirm, then the thank-you page.
    A forged, foreign or malformed token, or someone else signed in, is a 404."""
    found = appointment_from_token(token)
    if found is None or (request.user.is_authenticated and request.user.pk != found.patient.user_id):
        raise Http404
    error, status = "", 200
    if request.method == "POST":
        try:
            found = ConfirmAttendance(found, via=Appointment.AttendanceVia.LINK, actor=request.user).execute()
        except ActionError as refusal:
            error, status = refusal.message, 400
    return render(request, "patients_portal/confirm_attendance.html", {
        "appointment": found, "start": timezone.localtime(found.start, clinic_zone()), "error": error,
        "can_confirm": found.is_active and not found.patient_confirmed_at,
    }, status=status)


@login_required
@require_POST
def confirm_attendance(request, appointment_id):
    """The button on the patient's own appointment page (another patient's id is a 404)."""
    item = get_object_or_404(Appointment, pk=appointment_id, patient=patient_for(request.user))
    try:
        ConfirmAttendance(item, via=Appointment.AttendanceVia.PORTAL, actor=request.user).execute()
    except ActionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Thank you: the clinic knows you will come."))
    return redirect("patients_portal:appointment", appointment_id=item.pk)
