"""Patient e-mails about appointments and payments, sent by jobs in the clinic's schema."""

from datetime import UTC, timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from portal.mail import header_text, render_email, sender
from portal.tasks import enqueue
from portal.tenancy import clinic_url, clinic_zone, current_schema

from .models import Appointment, InvoicingSettings

TEMPLATES = {"confirmation", "receipt", "reminder", "cancellation", "reschedule"}
WITH_CALENDAR = {"confirmation", "receipt", "reschedule", "cancellation"}


def _ics_text(value) -> str:
    return str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_time(value) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_for(appointment: Appointment, brand) -> str:
    """An iCalendar (RFC 5545) event; a cancelled appointment cancels the same UID."""
    cancelled = appointment.status == Appointment.Status.CANCELLED
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Clinic Portal//ES", "METHOD:" + ("CANCEL" if cancelled else "PUBLISH"),
        "BEGIN:VEVENT",
        f"UID:appointment-{appointment.pk}@{connection.schema_name}",
        f"DTSTAMP:{_ics_time(timezone.now())}", f"DTSTART:{_ics_time(appointment.start)}", f"DTEND:{_ics_time(appointment.end)}",
        f"SUMMARY:{_ics_text(appointment.service.name)} · {_ics_text(brand.display_name)}",
        f"DESCRIPTION:{_ics_text(appointment.practitioner.display_name)}",
        f"LOCATION:{_ics_text(brand.address.replace(chr(10), ', '))}",
        "STATUS:" + ("CANCELLED" if cancelled else "CONFIRMED"),
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def send_appointment_email(*, appointment_id: int, template: str) -> bool:
    """Job: one e-mail about one appointment, in the patient's language (their account's,
    else the clinic's). The reminder goes once, even if the job runs twice.

    Times print in the active zone, which ``portal.tasks.run_in_schema`` sets to the
    clinic's: run it through :func:`portal.tasks.enqueue`. The reminder is claimed under
    the row lock and sent after commit (no mail server call under a lock, STYLE.md); a
    failed send releases the claim and raises, so django-q2's retry sends it.
    """
    from theme.models import BrandSettings

    if template not in TEMPLATES:
        raise ValueError(template)
    claimed = None
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",)).select_related("patient__user", "service", "practitioner__user").get(pk=appointment_id)
        )
        if template == "reminder":
            if appointment.reminder_sent_at or appointment.status != Appointment.Status.CONFIRMED:
                return False
            appointment.reminder_sent_at = claimed = timezone.now()
            appointment.save(update_fields=["reminder_sent_at"])
        if not appointment.patient.email:
            return False
        brand = BrandSettings.for_default_site()
        clinic = connection.tenant
        local_start = timezone.localtime(appointment.start, timezone=clinic_zone())
        context = {
            "appointment": appointment, "brand": brand, "clinic": clinic,
            "local_start": local_start,
            # 0 today, 1 tomorrow: the reminder's subject says so only when it is so.
            "days_away": (local_start.date() - timezone.localdate(timezone=clinic_zone())).days,
            "address_line": ", ".join(line.strip() for line in brand.address.splitlines() if line.strip()),
            "appointments_url": clinic_url(clinic, "/cuenta/citas/"),
            "payments": list(appointment.payments.all()),
            "receipt_base": clinic_url(clinic, "/cuenta/recibos/"),
            "issuer": InvoicingSettings.load(),  # the receipt names the clinic's legal name and tax ID
        }
        if template == "reminder" and not appointment.patient_confirmed_at:
            from .actions.appointments import attendance_link_token

            context["confirm_url"] = clinic_url(clinic, reverse("patients_portal:confirm_attendance", args=[attendance_link_token(appointment)]))
        message = render_email(
            f"clinic/email/appointment_{template}", context, language=appointment.patient.user,
            to=[appointment.patient.email], from_email=sender(header_text(brand.display_name or clinic.name)),
        )
        if template in WITH_CALENDAR:
            message.attach("cita.ics", ics_for(appointment, brand), "text/calendar")
    try:
        message.send()
    except Exception:
        if claimed:
            Appointment.objects.filter(pk=appointment_id, reminder_sent_at=claimed).update(reminder_sent_at=None)
        raise
    return True


def send_due_reminders(*, now=None) -> int:
    """Job (per clinic): queue the reminder of every confirmed appointment in the next 24 hours."""
    now = now or timezone.now()
    due = list(
        Appointment.objects.filter(
            status=Appointment.Status.CONFIRMED, reminder_sent_at__isnull=True, start__gt=now, start__lte=now + timedelta(hours=24)
        ).values_list("pk", flat=True)
    )
    for appointment_id in due:
        enqueue("clinic.emails.send_appointment_email", schema_name=current_schema(), appointment_id=appointment_id, template="reminder")
    return len(due)


def send_payment_receipt(*, payment_id: int) -> bool:
    """Job: the receipt of a payment made online from the portal against an invoice or a
    treatment plan's instalment, in the patient's language (their account's, else the
    clinic's): the amount, what it paid, what is still outstanding on it, and the
    receipt's address. Queued by the webhook's action in the same transaction as the
    payment (``enqueue_on_commit``), so it is sent once per payment; a failed send
    raises, so django-q2's retry sends it."""
    from theme.models import BrandSettings

    from .actions.plans import paid_toward
    from .models import Invoice, PatientPayment

    payment = PatientPayment.objects.select_related("patient__user", "invoice", "instalment__estimate__plan").get(pk=payment_id)
    if not payment.patient.email or (payment.invoice_id is None and payment.instalment_id is None):
        return False
    brand = BrandSettings.for_default_site()
    clinic = connection.tenant
    context = {
        "payment": payment, "brand": brand, "clinic": clinic,
        "receipt_url": clinic_url(clinic, f"/cuenta/recibos/{payment.pk}/"), "appointments_url": clinic_url(clinic, "/cuenta/citas/"),
    }
    if payment.invoice_id:
        invoice = Invoice.objects.with_outstanding().get(pk=payment.invoice_id)
        context.update(invoice=invoice, outstanding=max(invoice.outstanding, 0))
        template = "clinic/email/invoice_receipt"
    else:
        instalment = payment.instalment
        context.update(instalment=instalment, estimate=instalment.estimate, outstanding=max(instalment.amount - paid_toward(instalment), 0),
                       estimate_url=clinic_url(clinic, f"/cuenta/presupuestos/{instalment.estimate_id}/"))
        template = "clinic/email/instalment_receipt"
    render_email(template, context, language=payment.patient.user, to=[payment.patient.email],
                 from_email=sender(header_text(brand.display_name or clinic.name))).send()
    return True
