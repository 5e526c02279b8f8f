"""Booking use cases (tenant schema): book, pay, cancel, reschedule, release holds.

The exclusion constraint on Appointment is the arbiter of races: of two patients
booking one time, the database accepts one insert and refuses the other with
SQLSTATE 23P01, which becomes SlotTaken and a "just taken" message.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.tenancy import clinic_zone

from .availability import find_slots
from .models import Appointment, BookingSettings, Patient, PatientPayment, Service

logger = logging.getLogger(__name__)
EXCLUSION_VIOLATION = "23P01"


class BookingError(Exception):
    """A booking the rules refuse; ``message`` is shown to the patient."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SlotTaken(BookingError):
    pass


def _is_overlap(error: IntegrityError) -> bool:
    return getattr(error.__cause__, "pgcode", None) == EXCLUSION_VIOLATION


def book_appointment(*, patient: Patient, service: Service, start: datetime, practitioner=None, pay_online: bool = True) -> Appointment:
    """Book ``service`` at ``start`` with ``practitioner`` (None: any who is free).

    Checks the time against the clinic's hours, notice and horizon exactly as the
    slot search does, then lets the database settle any race. An appointment with
    something to pay online is held (pending payment) for the clinic's hold time.
    Side effects: one Appointment; for a confirmed one, a queued confirmation e-mail.
    """
    if not (service.active and service.online_bookable):
        raise BookingError(_("This service cannot be booked online."))
    day = timezone.localtime(start, timezone=clinic_zone()).date()
    # For "any practitioner", every one free at that time is a candidate, in order.
    free = [s for s in find_slots(service=service, practitioner=practitioner, start=day, end=day, one_per_time=False) if s.start == start]
    if not free:
        raise SlotTaken(_("That time is no longer available. Please choose another."))
    amount_online = service.online_amount(pay_online)
    settings_row = BookingSettings.load()
    for slot in free:
        appointment = Appointment(
            patient=patient, practitioner_id=slot.practitioner_id, service=service, start=slot.start, end=slot.end,
            price=service.price, amount_online=amount_online,
            status=Appointment.Status.PENDING_PAYMENT if amount_online > 0 else Appointment.Status.CONFIRMED,
            hold_expires_at=timezone.now() + timedelta(minutes=settings_row.hold_minutes) if amount_online > 0 else None,
        )
        try:
            with transaction.atomic():
                appointment.save()
        except IntegrityError as error:
            if _is_overlap(error):
                continue  # someone took this practitioner at that time a moment ago
            raise
        if appointment.status == Appointment.Status.CONFIRMED:
            queue_appointment_email(appointment, "confirmation")
        return appointment
    raise SlotTaken(_("That time was just taken. Please choose another."))


def release_expired_holds(*, now=None) -> int:
    """Job: unpaid holds past their time give the slot back (cancelled by the system)."""
    now = now or timezone.now()
    return Appointment.objects.filter(status=Appointment.Status.PENDING_PAYMENT, hold_expires_at__lt=now).update(
        status=Appointment.Status.CANCELLED, cancelled_by=Appointment.CancelledBy.SYSTEM, cancel_reason="hold expired"
    )


def record_online_payment(*, appointment_id: int, payment_intent: str, amount_minor: int, currency: str) -> PatientPayment | None:
    """Webhook job (in the clinic's schema): an appointment's online payment succeeded.

    Exactly once per Payment Intent. Confirms the appointment; if its hold had
    expired and the time was taken meanwhile, the payment is refunded instead.
    """
    from billing import gateway

    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().select_related("patient", "service").get(pk=appointment_id)
        expected = gateway.to_minor_units(appointment.amount_online, connection.tenant.currency)
        if amount_minor != expected or currency.upper() != connection.tenant.currency:
            raise ValueError(f"appointment {appointment_id} paid {amount_minor} {currency}, expected {expected} {connection.tenant.currency}")
        payment, created = PatientPayment.objects.get_or_create(
            stripe_payment_intent=payment_intent,
            defaults=dict(appointment=appointment, patient=appointment.patient, amount=appointment.amount_online,
                          currency=connection.tenant.currency, method=PatientPayment.Method.ONLINE),
        )
        if not created:
            return None
        if appointment.status == Appointment.Status.PENDING_PAYMENT or (
            appointment.status == Appointment.Status.CANCELLED and appointment.cancelled_by == Appointment.CancelledBy.SYSTEM
        ):
            appointment.status, appointment.cancelled_by, appointment.cancel_reason = Appointment.Status.CONFIRMED, "", ""
            try:
                with transaction.atomic():
                    appointment.save()
            except IntegrityError as error:
                if not _is_overlap(error):
                    raise
                # Paid after the hold ran out and someone else took the time: give it back.
                Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CANCELLED)
                gateway.refund(payment_intent=payment_intent, amount=payment.amount, currency=payment.currency)
                payment.refunded_amount = payment.amount
                payment.save(update_fields=["refunded_amount"])
                return payment
        queue_appointment_email(appointment, "receipt")
    return payment


def can_change(appointment: Appointment, *, now=None) -> bool:
    """Patients may cancel or reschedule online until the clinic's window before the start."""
    now = now or timezone.now()
    window = timedelta(hours=BookingSettings.load().cancellation_window_hours)
    return appointment.is_active and appointment.start - window > now


def cancel_appointment(*, appointment: Appointment, by: str, reason: str = "") -> Decimal:
    """Cancel; refund online payments when a patient cancels inside the policy. Returns the refund."""
    from billing import gateway

    if by == Appointment.CancelledBy.PATIENT and not can_change(appointment):
        raise BookingError(_("This appointment can no longer be changed online. Please call the clinic."))
    refunded = Decimal("0")
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if not appointment.is_active:
            raise BookingError(_("This appointment is already cancelled."))
        appointment.status, appointment.cancelled_by, appointment.cancel_reason = Appointment.Status.CANCELLED, by, reason[:255]
        appointment.save(update_fields=["status", "cancelled_by", "cancel_reason"])
        for payment in appointment.payments.select_for_update().filter(method=PatientPayment.Method.ONLINE):
            due = payment.amount - payment.refunded_amount
            if due > 0 and payment.stripe_payment_intent:
                gateway.refund(payment_intent=payment.stripe_payment_intent, amount=due, currency=payment.currency)
                payment.refunded_amount += due
                payment.save(update_fields=["refunded_amount"])
                refunded += due
        queue_appointment_email(appointment, "cancellation")
    return refunded


def reschedule_appointment(*, appointment: Appointment, start: datetime, practitioner=None) -> Appointment:
    """Move an appointment: the new time is booked first, then the old one released, in one
    transaction; payments follow the appointment."""
    if not can_change(appointment):
        raise BookingError(_("This appointment can no longer be changed online. Please call the clinic."))
    with transaction.atomic():
        old = Appointment.objects.select_for_update().select_related("service", "patient").get(pk=appointment.pk)
        old.status, old.cancelled_by, old.cancel_reason = Appointment.Status.CANCELLED, Appointment.CancelledBy.PATIENT, "rescheduled"
        old.save(update_fields=["status", "cancelled_by", "cancel_reason"])
        paid = old.payments.exists()
        new = book_appointment(patient=old.patient, service=old.service, start=start, practitioner=practitioner, pay_online=not paid and old.amount_online > 0)
        if paid:
            old.payments.update(appointment=new)
            new.status, new.amount_online, new.hold_expires_at = Appointment.Status.CONFIRMED, old.amount_online, None
            new.save()
        new.rescheduled_from = old
        new.save(update_fields=["rescheduled_from"])
        queue_appointment_email(new, "reschedule")
    return new


def queue_appointment_email(appointment: Appointment, template: str) -> None:
    from portal.tasks import enqueue
    from portal.tenancy import current_schema

    schema, appointment_id = current_schema(), appointment.pk
    transaction.on_commit(lambda: enqueue("clinic.emails.send_appointment_email", schema_name=schema, appointment_id=appointment_id, template=template))
