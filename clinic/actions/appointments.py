"""Appointment actions: book, move, cancel, and every status change of the clinic's day.

The exclusion constraint on Appointment is the arbiter of races: of two bookings of
one time, the database accepts one insert and refuses the other with SQLSTATE 23P01,
which becomes SlotTaken and a "just taken" message.

Who may act on an appointment (``may_change``): the system; the patient it belongs
to, for the patient-side actions, inside the clinic's online window; staff with
``clinic.change_appointment`` — a practitioner only on their own appointments unless
they also hold ``clinic.change_any_appointment`` (clinic admins and reception do).
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.tenancy import clinic_zone

from ..availability import find_slots, free_rooms
from ..models import Appointment, BookingSettings, InvalidTransition, Patient, Room, Service
from .base import ActionError, ClinicAction, when

logger = logging.getLogger(__name__)
EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"


class BookingError(ActionError):
    """A booking the rules refuse; ``message`` is shown to whoever asked."""


class SlotTaken(BookingError):
    pass


class RefundUnavailable(BookingError):
    """Stripe could not be asked for the refund: the cancellation did not happen."""


def is_overlap(error: DatabaseError) -> bool:
    """Another booking holds that time: the exclusion constraint said so, or two inserts
    each waited on the other's row while checking it and PostgreSQL aborted one as a
    deadlock (seen in the room race test under load). Either way the other one wins."""
    return getattr(error.__cause__, "pgcode", None) in (EXCLUSION_VIOLATION, DEADLOCK_DETECTED)


def is_staff(user) -> bool:
    return user is not None and user.is_authenticated and user.has_perm("wagtailadmin.access_admin")


def may_change(user, appointment: Appointment, permission: str = "clinic.change_appointment") -> bool:
    """A staff user may change this appointment: the permission, and their own
    appointment unless they may change every practitioner's."""
    if not (user.is_active and user.has_perm(permission)):
        return False
    return user.has_perm("clinic.change_any_appointment") or appointment.practitioner.user_id == user.pk


def owns(user, appointment: Appointment) -> bool:
    return user.is_authenticated and appointment.patient.user_id is not None and appointment.patient.user_id == user.pk


def can_change(appointment: Appointment, *, now=None) -> bool:
    """Patients may cancel or reschedule online until the clinic's window before the start."""
    now = now or timezone.now()
    window = timedelta(hours=BookingSettings.load().cancellation_window_hours)
    return appointment.is_active and appointment.start - window > now


def queue_appointment_email(appointment: Appointment, template: str) -> None:
    """Inside the caller's transaction: the e-mail job is queued with it (portal.tasks)."""
    from portal.tasks import enqueue_on_commit
    from portal.tenancy import current_schema

    enqueue_on_commit("clinic.emails.send_appointment_email", schema_name=current_schema(), appointment_id=appointment.pk, template=template)


def appointment_data(appointment: Appointment) -> dict:
    return {
        "patient": str(appointment.patient), "practitioner": str(appointment.practitioner), "service": str(appointment.service),
        "start": when(appointment.start), "status": appointment.status, **({"room": str(appointment.room)} if appointment.room_id else {}),
    }


class BookAppointment(ClinicAction):
    """Book ``service`` at ``start`` with ``practitioner`` (None: any who is free).

    Online (``desk=False``): by the patient themself (or the system); the time is
    checked against the clinic's hours, notice and horizon exactly as the slot search
    does, and something to pay online holds the appointment (pending payment) for
    the clinic's hold time. At the desk (``desk=True``): staff with
    ``clinic.add_appointment`` (a practitioner only for themself unless they may change
    every appointment), inside the notice and beyond the horizon, any active service;
    paid at the clinic, so confirmed at once. Never over another appointment: the
    database settles races. Side effects: one Appointment; for a confirmed one, a
    queued confirmation e-mail.
    """

    log_action = "clinic.appointment.book"

    def __init__(self, *, patient: Patient, service: Service, start: datetime, practitioner=None, pay_online: bool = True,
                 desk: bool = False, price: Decimal | None = None, actor=None, series=None, notify: bool = True):
        super().__init__(actor=actor)
        self.patient, self.service, self.start, self.practitioner = patient, service, start, practitioner
        self.pay_online, self.desk, self.price, self.series, self.notify = pay_online, desk, price, series, notify

    def user_has_permission(self) -> bool:
        if self.actor is None:
            return True
        if self.desk:
            if not (self.actor.is_active and self.actor.has_perm("clinic.add_appointment")):
                return False
            if self.actor.has_perm("clinic.change_any_appointment"):
                return True
            return self.practitioner is not None and self.practitioner.user_id == self.actor.pk
        return self.patient.user_id is not None and self.patient.user_id == self.actor.pk

    def perform(self) -> Appointment:
        service = self.service
        if not service.active or not (self.desk or service.online_bookable):
            raise BookingError(_("This service cannot be booked online."))
        day = timezone.localtime(self.start, timezone=clinic_zone()).date()
        # For "any practitioner", every one free at that time is a candidate, in order.
        slots = find_slots(service=service, practitioner=self.practitioner, start=day, end=day, one_per_time=False, staff=self.desk)
        free = [s for s in slots if s.start == self.start]
        if not free:
            raise SlotTaken(self.not_free_message())
        amount_online = Decimal("0") if self.desk else service.online_amount(self.pay_online)
        hold = timedelta(minutes=BookingSettings.load().hold_minutes)
        uses_rooms = Room.objects.active().exists()
        for slot in free:
            # With rooms, each free room fit for the service is a candidate too, in order.
            rooms = free_rooms(service, slot.start, slot.end + timedelta(minutes=service.buffer_minutes)) if uses_rooms else [None]
            for room_id in rooms:
                appointment = Appointment(
                    patient=self.patient, practitioner_id=slot.practitioner_id, service=service, start=slot.start, end=slot.end, room_id=room_id,
                    series=self.series,
                    price=service.price if self.price is None else self.price, amount_online=amount_online,
                    status=Appointment.Status.PENDING_PAYMENT if amount_online > 0 else Appointment.Status.CONFIRMED,
                    hold_expires_at=timezone.now() + hold if amount_online > 0 else None,
                )
                try:
                    with transaction.atomic():
                        appointment.save()
                except (IntegrityError, OperationalError) as error:
                    if is_overlap(error):
                        continue  # someone took this practitioner or room at that time a moment ago
                    raise
                if appointment.status == Appointment.Status.CONFIRMED and self.notify:
                    queue_appointment_email(appointment, "confirmation")
                return appointment
        raise SlotTaken(self.not_free_message() if self.desk else _("That time was just taken. Please choose another."))

    def not_free_message(self) -> str:
        if self.desk and self.practitioner is not None:
            return _("%(practitioner)s is not free at that time (another appointment, time off or outside their hours). Choose one of the free times.") % {
                "practitioner": self.practitioner}
        return _("That time is no longer available. Please choose another.")

    def log_data(self, instance):
        return {**appointment_data(instance), "desk": self.desk, "price": str(instance.price), "amount_online": str(instance.amount_online)}


class AppointmentAction(ClinicAction):
    """An action on one existing appointment, run under its row lock."""

    permission = "clinic.change_appointment"
    patient_may = False  # the patient it belongs to may do this too (inside the online window)

    def __init__(self, appointment: Appointment, *, actor=None):
        super().__init__(actor=actor)
        self.appointment = appointment

    def user_has_permission(self) -> bool:
        if self.actor is None:
            return True
        if self.patient_may and owns(self.actor, self.appointment) and not is_staff(self.actor):
            return True
        return may_change(self.actor, self.appointment, self.permission)

    @property
    def by_patient(self) -> bool:
        return self.actor is not None and owns(self.actor, self.appointment) and not is_staff(self.actor)

    def locked(self) -> Appointment:
        return Appointment.objects.select_for_update(of=("self",)).select_related("patient", "service", "practitioner").get(pk=self.appointment.pk)


class ChangeAppointmentStatus(AppointmentAction):
    """One step of the clinic's day by the transition table (Appointment.TRANSITIONS):
    a refused change raises InvalidTransition with the reason; nothing is written."""

    to = ""

    def perform(self) -> Appointment:
        appointment = self.locked()
        self.before = appointment.status
        try:
            changed = appointment.transition(self.to)
        except InvalidTransition as error:
            raise ActionError(error.messages[0]) from error
        appointment.save(update_fields=changed)
        return appointment

    def log_data(self, instance):
        return {**appointment_data(instance), "before": self.before, "after": instance.status}


class CheckIn(ChangeAppointmentStatus):
    """The patient has arrived (on the appointment's day)."""

    to, log_action = Appointment.Status.ARRIVED, "clinic.appointment.arrive"


class UndoCheckIn(ChangeAppointmentStatus):
    """A check-in (or a no-show) marked by mistake: back to booked."""

    to, log_action = Appointment.Status.CONFIRMED, "clinic.appointment.undo"


class CallIn(ChangeAppointmentStatus):
    """The patient is in the room with the practitioner."""

    to, log_action = Appointment.Status.IN_ROOM, "clinic.appointment.in_room"


# Sent inside CompleteAppointment's transaction; clinic.records opens the visit on it
# (the records app builds on the clinic app, not the other way round).
appointment_completed = Signal()


class CompleteAppointment(ChangeAppointmentStatus):
    """Seen (once the start time has passed); the appointment's visit is opened."""

    to, log_action = Appointment.Status.COMPLETED, "clinic.appointment.complete"

    def perform(self) -> Appointment:
        appointment = super().perform()
        from .plans import mark_items_done  # plans book through this module

        mark_items_done(appointment)
        appointment_completed.send(sender=type(self), appointment=appointment, actor=self.actor)
        return appointment


class MarkNoShow(ChangeAppointmentStatus):
    """The patient did not come (once the start time has passed)."""

    to, log_action = Appointment.Status.NO_SHOW, "clinic.appointment.no_show"


class ConfirmAppointment(ChangeAppointmentStatus):
    """An online booking's payment arrived (the webhook), or staff confirm a held one."""

    to, log_action = Appointment.Status.CONFIRMED, "clinic.appointment.confirm"


class CancelAppointment(AppointmentAction):
    """Cancel; refund online payments (a patient inside the policy, or the clinic).
    ``execute()`` returns the amount refunded.

    Refund first, cancel second, so that a clinic never has a cancelled appointment
    whose money it still holds, and a patient never loses a time they paid for:

    1. Under the appointment's lock, a pending Refund row for what is left to refund
       of each online payment (the appointment keeps its time). Commit.
    2. No lock held: each refund is sent to Stripe (idempotency key per row).
       If Stripe refuses, the refund row is left failed for staff to see; if it cannot
       be reached, the row stays pending and a retry sends the same row under the same
       idempotency key (never a second refund). Either way, or while another request
       is sending the refund, the appointment is NOT cancelled and RefundUnavailable
       is raised: the person can try again.
    3. Under the lock again: the appointment is cancelled (audited) and the notice queued.

    Running it again after a crash between 2 and 3 refunds nothing twice (refunds
    done or under way are counted) and finishes the cancellation. Staff must give a
    reason. Side effects: Refund rows, Stripe refunds, the cancellation, a queued e-mail.
    """

    patient_may = True
    log_action = "clinic.appointment.cancel"

    def __init__(self, appointment: Appointment, *, by: str, reason: str = "", actor=None):
        super().__init__(appointment, actor=actor)
        self.by, self.reason = by, (reason or "").strip()[:255]

    def execute(self) -> Decimal:
        from billing import gateway

        from ..models import PatientPayment, Refund
        from ..refunds import refundable, request_refund, send_refund

        self.check()
        if self.by == Appointment.CancelledBy.PATIENT and not can_change(self.appointment):
            raise BookingError(_("This appointment can no longer be changed online. Please call the clinic."))
        if self.by == Appointment.CancelledBy.CLINIC and not self.reason:
            raise BookingError(_("Say why the appointment is cancelled: the patient is told."))
        with transaction.atomic():
            locked = self.locked()
            if refusal := locked.refusal(Appointment.Status.CANCELLED):
                raise BookingError(_("This appointment is already cancelled.") if locked.status == Appointment.Status.CANCELLED else refusal)
            requester = self.log_user
            for payment in locked.payments.select_for_update().filter(method=PatientPayment.Method.ONLINE, stripe_payment_intent__isnull=False):
                due = refundable(payment)
                if due > 0:
                    refund = request_refund(payment=payment, amount=due, reason=f"cancelled by {self.by}: {self.reason}".strip(": "), requested_by=requester)
                    self.write_log(refund, "clinic.refund.request", {"payment": payment.pk, "amount": str(due), "currency": payment.currency, "appointment": locked.pk})
            pending = list(Refund.objects.filter(payment__appointment=locked, status=Refund.Status.PENDING).values_list("pk", flat=True))
        refunded = Decimal("0")
        for refund_id in pending:
            try:
                refund = send_refund(refund_id=refund_id)
            except gateway.GatewayError as error:
                logger.warning("cancel of appointment %s stopped: refund %s not sent: %s", self.appointment.pk, refund_id, error.message)
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
            locked = self.locked()
            if locked.status == Appointment.Status.CANCELLED:
                return refunded  # another request finished the cancellation meanwhile
            before = locked.status
            try:
                changed = locked.transition(Appointment.Status.CANCELLED)
            except InvalidTransition as error:
                raise BookingError(error.messages[0]) from error
            locked.cancelled_by, locked.cancel_reason = self.by, self.reason
            locked.save(update_fields=[*changed, "cancelled_by", "cancel_reason"])
            self.write_log(locked, data={**appointment_data(locked), "before": before, "after": locked.status, "by": self.by,
                                         "reason": self.reason, "refunded": str(refunded)})
            queue_appointment_email(locked, "cancellation")
        return refunded


class RescheduleAppointment(AppointmentAction):
    """Move an appointment: the new time is booked first, then the old one released, in
    one transaction; payments follow the appointment, and the patient is told.

    By the patient: inside the clinic's online window, at an online-bookable time.
    By staff (the agenda's "move"): any time the availability engine offers staff.
    The new appointment keeps a link to the old one (``rescheduled_from``).
    """

    patient_may = True
    log_action = "clinic.appointment.reschedule"

    def __init__(self, appointment: Appointment, *, start: datetime, practitioner=None, actor=None):
        super().__init__(appointment, actor=actor)
        self.start, self.practitioner = start, practitioner

    def perform(self) -> Appointment:
        desk = not self.by_patient and self.actor is not None
        if not desk and not can_change(self.appointment):
            raise BookingError(_("This appointment can no longer be changed online. Please call the clinic."))
        if self.practitioner is not None and self.actor is not None and desk and not self.actor.has_perm("clinic.change_any_appointment") \
                and self.practitioner.user_id != self.actor.pk:
            raise ActionError(_("You can only move appointments within your own agenda."))
        old = self.locked()
        if not old.is_active:
            raise BookingError(_("Only an appointment that is still to happen can be moved."))
        self.old_start = old.start
        old.transition(Appointment.Status.CANCELLED)
        old.cancelled_by = Appointment.CancelledBy.PATIENT if not desk else Appointment.CancelledBy.CLINIC
        old.cancel_reason = "rescheduled"
        old.save(update_fields=["status", "cancelled_by", "cancel_reason"])
        paid = old.payments.exists()
        new = BookAppointment(
            patient=old.patient, service=old.service, start=self.start, practitioner=self.practitioner, desk=desk,
            pay_online=not paid and old.amount_online > 0, price=old.price,
        ).perform()
        if paid:
            old.payments.update(appointment=new)
            new.status, new.amount_online, new.hold_expires_at = Appointment.Status.CONFIRMED, old.amount_online, None
        new.rescheduled_from = old
        new.save()
        queue_appointment_email(new, "reschedule")
        return new

    def log_data(self, instance):
        return {**appointment_data(instance), "from_appointment": self.appointment.pk, "before_start": when(self.old_start), "after_start": when(instance.start)}


class ReleaseExpiredHolds(ClinicAction):
    """Job: unpaid holds past their time give the slot back (cancelled by the system),
    each one audited. ``execute()`` returns how many were released."""

    log_action = "clinic.appointment.hold_expired"

    def __init__(self, *, now=None):
        super().__init__(actor=None)
        self.now = now or timezone.now()

    def execute(self) -> int:
        released = 0
        expired = Appointment.objects.filter(status=Appointment.Status.PENDING_PAYMENT, hold_expires_at__lt=self.now).values_list("pk", flat=True)
        for pk in list(expired):
            with transaction.atomic():
                appointment = Appointment.objects.select_for_update(skip_locked=True).filter(
                    pk=pk, status=Appointment.Status.PENDING_PAYMENT).select_related("patient", "service", "practitioner").first()
                if appointment is None:
                    continue  # paid or cancelled meanwhile, or being paid right now
                changed = appointment.transition(Appointment.Status.CANCELLED)
                appointment.cancelled_by, appointment.cancel_reason = Appointment.CancelledBy.SYSTEM, "hold expired"
                appointment.save(update_fields=[*changed, "cancelled_by", "cancel_reason"])
                self.write_log(appointment, data={**appointment_data(appointment), "before": Appointment.Status.PENDING_PAYMENT, "after": appointment.status})
                released += 1
        return released


ATTENDANCE_SALT = "clinic.attendance-link"
ATTENDANCE_LINK_DAYS = 60


def attendance_link_token(appointment: Appointment) -> str:
    """The token of the reminder's "Confirm I'll come" link: signed for this clinic (the
    schema is in the salt, since one SECRET_KEY signs for every clinic), this appointment
    and its patient."""
    from django.core import signing

    from portal.tenancy import current_schema

    return signing.dumps({"a": appointment.pk, "p": appointment.patient_id}, salt=f"{ATTENDANCE_SALT}:{current_schema()}", compress=True)


def appointment_from_token(token: str) -> Appointment | None:
    """The appointment a link names, or None for a forged, foreign, old or malformed token."""
    from django.core import signing

    from portal.tenancy import current_schema

    try:
        data = signing.loads(token, salt=f"{ATTENDANCE_SALT}:{current_schema()}", max_age=timedelta(days=ATTENDANCE_LINK_DAYS))
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("a"), int) or not isinstance(data.get("p"), int):
        return None
    return Appointment.objects.select_related("patient", "service", "practitioner__user").filter(pk=data["a"], patient_id=data["p"]).first()


class ConfirmAttendance(AppointmentAction):
    """The patient says they will come: by the reminder's link (``via=LINK``, no sign-in:
    the token stood for them, ``actor`` is None or the patient), in their account
    (``via=PORTAL``), or reception records a phone call (``via=PHONE``, staff who may
    change the appointment). Sets ``patient_confirmed_at`` once: a second confirmation
    changes nothing and writes no second audit entry. Refused once the appointment is no
    longer to happen (cancelled, seen). ``execute()`` returns the appointment; side
    effect: tomorrow's "not confirmed" notice disappears (clinic.notice_providers)."""

    log_action = "clinic.appointment.attendance"

    def __init__(self, appointment: Appointment, *, via: str, actor=None):
        super().__init__(appointment, actor=actor)
        self.via = Appointment.AttendanceVia(via)
        self.changed = False

    def user_has_permission(self) -> bool:
        actor = self.actor
        if self.via == Appointment.AttendanceVia.PHONE:
            return actor is not None and is_staff(actor) and may_change(actor, self.appointment)
        if self.via == Appointment.AttendanceVia.LINK:
            return actor is None or not actor.is_authenticated or owns(actor, self.appointment)
        return actor is not None and owns(actor, self.appointment)

    def perform(self) -> Appointment:
        appointment = self.locked()
        if appointment.patient_confirmed_at:
            return appointment
        if not appointment.is_active or appointment.end <= timezone.now():
            raise ActionError(_("This appointment is no longer to happen, so it cannot be confirmed."))
        appointment.patient_confirmed_at, appointment.patient_confirmed_via = timezone.now(), self.via
        appointment.save(update_fields=["patient_confirmed_at", "patient_confirmed_via"])
        self.changed = True
        return appointment

    def write_log(self, instance, action=None, data=None) -> None:
        if self.changed:
            super().write_log(instance, action, data)

    def log_data(self, instance):
        return {**appointment_data(instance), "via": self.via.value}


def release_expired_holds(*, now=None) -> int:
    """Scheduled entry point (tenants' schedule names it by path)."""
    return ReleaseExpiredHolds(now=now).execute()


# The action that moves an appointment to each status from the agenda or the admin form.
STATUS_ACTIONS = {
    Appointment.Status.ARRIVED: CheckIn,
    Appointment.Status.IN_ROOM: CallIn,
    Appointment.Status.COMPLETED: CompleteAppointment,
    Appointment.Status.NO_SHOW: MarkNoShow,
}


def change_status(appointment: Appointment, to: str, *, actor, reason: str = ""):
    """Run the action that takes ``appointment`` to status ``to`` (cancelling is the
    clinic's, with ``reason``; back to booked undoes a check-in or confirms a hold)."""
    if to == Appointment.Status.CANCELLED:
        return CancelAppointment(appointment, by=Appointment.CancelledBy.CLINIC, reason=reason, actor=actor).execute()
    if to == Appointment.Status.CONFIRMED:
        action = ConfirmAppointment if appointment.status == Appointment.Status.PENDING_PAYMENT else UndoCheckIn
        return action(appointment, actor=actor).execute()
    if to not in STATUS_ACTIONS:
        raise ActionError(_("Choose a status."))
    return STATUS_ACTIONS[to](appointment, actor=actor).execute()
