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

    Only the Payment Intent stored on the appointment's payment attempt counts: any
    other raises billing.payments.ForeignPaymentIntent and records nothing. Exactly
    once per Payment Intent. Confirms the appointment; if its hold had expired and the
    time was taken meanwhile, or the appointment was cancelled or moved while paying,
    the payment is refunded instead (a Refund row, sent to Stripe after commit).
    """
    from billing import gateway
    from billing.payments import check_intent

    from .models import PaymentAttempt
    from .refunds import request_refund, send_after_commit

    with transaction.atomic():
        appointment = Appointment.objects.select_for_update(of=("self",)).select_related("patient", "service").get(pk=appointment_id)
        attempts = PaymentAttempt.objects.select_for_update().filter(appointment=appointment)
        attempt = attempts.filter(stripe_payment_intent=payment_intent).first()
        if attempt is None:
            live = attempts.filter(status__in=[PaymentAttempt.Status.PENDING, PaymentAttempt.Status.SUCCEEDED]).first()
            check_intent(
                stored=live.stripe_payment_intent if live else "", received=payment_intent,
                what=f"appointment {appointment_id} in {connection.schema_name}", in_flight=bool(live and live.status == PaymentAttempt.Status.PENDING),
            )
        expected = gateway.to_minor_units(attempt.amount, attempt.currency)
        if amount_minor != expected or currency.upper() != attempt.currency:
            raise ValueError(f"appointment {appointment_id} paid {amount_minor} {currency}, expected {expected} {attempt.currency}")
        payment, created = PatientPayment.objects.get_or_create(
            stripe_payment_intent=payment_intent,
            defaults=dict(appointment=appointment, patient=appointment.patient, amount=attempt.amount,
                          currency=attempt.currency, method=PatientPayment.Method.ONLINE),
        )
        if not created:
            return None
        PaymentAttempt.objects.filter(pk=attempt.pk).update(status=PaymentAttempt.Status.SUCCEEDED)
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
                send_after_commit(request_refund(payment=payment, amount=payment.amount, reason="paid after the hold expired; the time was taken"))
                return payment
        elif appointment.status == Appointment.Status.CANCELLED:
            # Cancelled or moved while the card was being charged: nothing to pay for.
            send_after_commit(request_refund(payment=payment, amount=payment.amount, reason="paid after the appointment was cancelled"))
            return payment
        queue_appointment_email(appointment, "receipt")
    return payment


def record_online_payment_failure(*, appointment_id: int, payment_intent: str, message: str) -> None:
    """Webhook job: an appointment's payment failed. Its attempt is closed, so the
    patient's next try makes a new one; another intent raises ForeignPaymentIntent."""
    from billing.payments import ForeignPaymentIntent

    from .models import PaymentAttempt

    attempts = PaymentAttempt.objects.filter(appointment_id=appointment_id, stripe_payment_intent=payment_intent)
    if not attempts.exists():
        raise ForeignPaymentIntent(f"{payment_intent} is not a Payment Intent of appointment {appointment_id} in {connection.schema_name}")
    attempts.filter(status=PaymentAttempt.Status.PENDING).update(status=PaymentAttempt.Status.FAILED, failure_message=message[:1000])


class RefundUnavailable(BookingError):
    """Stripe could not be asked for the refund: the cancellation did not happen."""


def can_change(appointment: Appointment, *, now=None) -> bool:
    """Patients may cancel or reschedule online until the clinic's window before the start."""
    now = now or timezone.now()
    window = timedelta(hours=BookingSettings.load().cancellation_window_hours)
    return appointment.is_active and appointment.start - window > now


def cancel_appointment(*, appointment: Appointment, by: str, reason: str = "", requested_by=None) -> Decimal:
    """Cancel; refund online payments (a patient inside the policy, or the clinic).
    Returns the amount refunded.

    Refund first, cancel second, so that a clinic never has a cancelled appointment
    whose money it still holds, and a patient never loses a time they paid for:

    1. Under the appointment's lock, a pending Refund row for what is left to refund
       of each online payment (the appointment keeps its time). Commit.
    2. No lock held: each refund is sent to Stripe (idempotency key per row).
       If Stripe refuses, the refund row is left failed for staff to see; if it cannot
       be reached, the row stays pending and a retry sends the same row under the same
       idempotency key (never a second refund). Either way, or while another request
       is sending the refund, the appointment is NOT cancelled and RefundUnavailable
       (a BookingError with a translated message) is raised: the person can try again.
    3. Under the lock again: the appointment is cancelled and the notice queued.

    Running it again after a crash between 2 and 3 refunds nothing twice (refunds
    done or under way are counted) and finishes the cancellation.
    Side effects: Refund rows, Stripe refunds, the cancellation, a queued e-mail.
    """
    from billing import gateway

    from .models import Refund
    from .refunds import refundable, request_refund, send_refund

    if by == Appointment.CancelledBy.PATIENT and not can_change(appointment):
        raise BookingError(_("This appointment can no longer be changed online. Please call the clinic."))
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if not locked.is_active:
            raise BookingError(_("This appointment is already cancelled."))
        for payment in locked.payments.select_for_update().filter(method=PatientPayment.Method.ONLINE, stripe_payment_intent__isnull=False):
            due = refundable(payment)
            if due > 0:
                request_refund(payment=payment, amount=due, reason=f"cancelled by {by}: {reason}".strip(": "), requested_by=requested_by)
        pending = list(Refund.objects.filter(payment__appointment=locked, status=Refund.Status.PENDING).values_list("pk", flat=True))
    refunded = Decimal("0")
    for refund_id in pending:
        try:
            refund = send_refund(refund_id=refund_id)
        except gateway.GatewayError as error:
            logger.warning("cancel of appointment %s stopped: refund %s not sent: %s", appointment.pk, refund_id, error.message)
            raise RefundUnavailable(
                _("The refund could not be requested from the card processor, so the appointment was not cancelled. Please try again in a few minutes.")
            ) from error
        if refund.status != Refund.Status.SUCCEEDED:
            # Another request is sending this refund right now (two cancels at once): only
            # the one that sees it succeed cancels, so a refund that then fails never leaves
            # a cancelled appointment whose money the clinic kept.
            raise RefundUnavailable(_("This cancellation is already being processed. Please check again in a minute."))
        refunded += refund.amount
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if not locked.is_active:
            return refunded  # another request finished the cancellation meanwhile
        locked.status, locked.cancelled_by, locked.cancel_reason = Appointment.Status.CANCELLED, by, reason[:255]
        locked.save(update_fields=["status", "cancelled_by", "cancel_reason"])
        queue_appointment_email(locked, "cancellation")
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
    from portal.tasks import enqueue_on_commit
    from portal.tenancy import current_schema

    schema, appointment_id = current_schema(), appointment.pk
    enqueue_on_commit("clinic.emails.send_appointment_email", schema_name=schema, appointment_id=appointment_id, template=template)
