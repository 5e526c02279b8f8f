"""Money actions of the clinic: payments recorded at the desk, online payments recorded
from Stripe's webhook (the system acts), and their failures."""

from decimal import Decimal

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _

from portal.money import format_money

from ..models import Appointment, Invoice, Patient, PatientPayment
from .appointments import is_overlap, queue_appointment_email
from .base import ActionError, ClinicAction, when


class RecordDeskPayment(ClinicAction):
    """Money received at the clinic (card terminal, cash, transfer) or paid for the patient
    by a finance company, in the clinic's currency, signed by whoever records it, against
    an appointment and/or one of the patient's outstanding invoices (at most what is
    outstanding on it, checked under the invoice's row lock) or an instalment of their
    accepted treatment-plan estimate (likewise). Side effects: one PatientPayment."""

    permission = "clinic.add_patientpayment"
    log_action = "clinic.payment.record"

    def __init__(self, *, patient: Patient, amount: Decimal, method: str, appointment: Appointment | None = None, invoice: Invoice | None = None,
                 instalment=None, reference: str = "", actor=None):
        super().__init__(actor=actor)
        self.patient, self.amount, self.method, self.appointment, self.invoice, self.reference = patient, amount, method, appointment, invoice, reference
        self.instalment = instalment

    def perform(self) -> PatientPayment:
        if self.method == PatientPayment.Method.ONLINE or self.method not in PatientPayment.Method.values:
            raise ActionError(_("Choose how the patient paid at the clinic."))
        if self.amount is None or self.amount <= 0:
            raise ActionError(_("Enter an amount greater than zero."))
        if self.appointment is not None and self.appointment.patient_id != self.patient.pk:
            raise ActionError(_("That appointment is another patient's."))
        if self.invoice is not None:
            invoice = Invoice.objects.select_for_update().get(pk=self.invoice.pk)  # two desks at once never pay it twice over
            if invoice.patient_id != self.patient.pk:
                raise ActionError(_("That invoice is another patient's."))
            if invoice.kind != Invoice.Kind.INVOICE:
                raise ActionError(_("A credit note is not paid."))
            outstanding = invoice.outstanding_amount()
            if self.amount > outstanding:
                raise ActionError(_("At most %(amount)s is outstanding on invoice %(number)s.") % {
                    "amount": format_money(max(outstanding, 0), invoice.currency), "number": invoice.full_number})
        if self.instalment is not None:
            self.check_instalment()
        return PatientPayment.objects.create(
            patient=self.patient, appointment=self.appointment, invoice=self.invoice, instalment=self.instalment, amount=self.amount,
            currency=connection.tenant.currency,
            method=self.method, reference=self.reference[:120], recorded_by=self.log_user,
        )

    def check_instalment(self) -> None:
        """Under the instalment's row lock (two desks at once never pay it twice over): the
        patient's own, of an accepted estimate, and at most what is left of it."""
        from ..models import Estimate, EstimateInstalment
        from .plans import paid_toward

        instalment = EstimateInstalment.objects.select_for_update().select_related("estimate__plan").get(pk=self.instalment.pk)
        if instalment.estimate.plan.patient_id != self.patient.pk:
            raise ActionError(_("That instalment is another patient's."))
        if instalment.estimate.status != Estimate.Status.ACCEPTED:
            raise ActionError(_("Only the instalments of an accepted estimate are paid."))
        left = instalment.amount - paid_toward(instalment)
        if self.amount > left:
            raise ActionError(_("At most %(amount)s is left to pay of that instalment.") % {"amount": format_money(max(left, 0), connection.tenant.currency)})

    def log_data(self, instance):
        return {"patient": str(instance.patient), "amount": str(instance.amount), "currency": instance.currency, "method": instance.method,
                "appointment": instance.appointment_id, "invoice": instance.invoice_number,
                "instalment": f"{instance.instalment.estimate.number} #{instance.instalment.sequence}" if instance.instalment_id else "",
                "received_at": when(instance.received_at)}


def _attempt_for(attempts, *, payment_intent: str, what: str, live_statuses):
    """Inside the webhook's transaction, with the thing paid locked: the attempt whose
    stored intent is ``payment_intent``. Any other intent raises ForeignPaymentIntent (or
    IntentNotStoredYet while the paying request has not stored its id yet)."""
    from billing.payments import check_intent

    attempt = attempts.filter(stripe_payment_intent=payment_intent).first()
    if attempt is None:
        live = attempts.filter(status__in=live_statuses).first()
        check_intent(stored=live.stripe_payment_intent if live else "", received=payment_intent, what=what,
                     in_flight=bool(live and live.status == live.Status.PENDING))
    return attempt


def _check_amount(attempt, *, amount_minor: int, currency: str, what: str) -> None:
    from billing import gateway

    expected = gateway.to_minor_units(attempt.amount, attempt.currency)
    if amount_minor != expected or currency.upper() != attempt.currency:
        raise ValueError(f"{what} paid {amount_minor} {currency}, expected {expected} {attempt.currency}")


class RecordOnlinePayment(ClinicAction):
    """Webhook job (in the clinic's schema): an appointment's online payment succeeded.

    Only the Payment Intent stored on the appointment's payment attempt counts: any
    other raises billing.payments.ForeignPaymentIntent and records nothing. Exactly
    once per Payment Intent. Confirms the appointment; if its hold had expired and the
    time was taken meanwhile, or the appointment was cancelled or moved while paying,
    the payment is refunded instead (a Refund row, sent to Stripe after commit).
    ``execute()`` returns the payment, or None when it was already recorded.
    """

    log_action = "clinic.payment.online"

    def __init__(self, *, appointment_id: int, payment_intent: str, amount_minor: int, currency: str):
        super().__init__(actor=None)
        self.appointment_id, self.payment_intent, self.amount_minor, self.currency = appointment_id, payment_intent, amount_minor, currency

    def execute(self) -> PatientPayment | None:
        from ..models import PaymentAttempt
        from ..payments import AppointmentTarget
        from ..refunds import request_refund, send_after_commit

        with transaction.atomic():
            appointment = Appointment.objects.select_for_update(of=("self",)).select_related("patient", "service", "practitioner").get(pk=self.appointment_id)
            what = f"appointment {self.appointment_id} in {connection.schema_name}"
            attempt = _attempt_for(PaymentAttempt.objects.select_for_update().filter(appointment=appointment), payment_intent=self.payment_intent,
                                   what=what, live_statuses=AppointmentTarget.live_statuses)
            _check_amount(attempt, amount_minor=self.amount_minor, currency=self.currency, what=what)
            payment, created = PatientPayment.objects.get_or_create(
                stripe_payment_intent=self.payment_intent,
                defaults=dict(appointment=appointment, patient=appointment.patient, amount=attempt.amount,
                              currency=attempt.currency, method=PatientPayment.Method.ONLINE),
            )
            if not created:
                return None
            PaymentAttempt.objects.filter(pk=attempt.pk).update(status=PaymentAttempt.Status.SUCCEEDED)
            self.write_log(payment, data={"appointment": appointment.pk, "amount": str(payment.amount), "currency": payment.currency,
                                          "payment_intent": self.payment_intent})
            revivable = appointment.status == Appointment.Status.CANCELLED and appointment.cancelled_by == Appointment.CancelledBy.SYSTEM
            if appointment.status == Appointment.Status.PENDING_PAYMENT or revivable:
                before = appointment.status
                changed = appointment.transition(Appointment.Status.CONFIRMED)
                appointment.cancelled_by, appointment.cancel_reason = "", ""
                try:
                    with transaction.atomic():
                        appointment.save(update_fields=[*changed, "cancelled_by", "cancel_reason"])
                except (IntegrityError, OperationalError) as error:
                    if not is_overlap(error):
                        raise
                    # Paid after the hold ran out and someone else took the time: give it back.
                    send_after_commit(request_refund(payment=payment, amount=payment.amount, reason="paid after the hold expired; the time was taken"))
                    return payment
                self.write_log(appointment, "clinic.appointment.confirm", {"before": before, "after": appointment.status, "start": when(appointment.start)})
            elif appointment.status == Appointment.Status.CANCELLED:
                # Cancelled or moved while the card was being charged: nothing to pay for.
                send_after_commit(request_refund(payment=payment, amount=payment.amount, reason="paid after the appointment was cancelled"))
                return payment
            queue_appointment_email(appointment, "receipt")
        return payment


def record_online_payment(*, appointment_id: int, payment_intent: str, amount_minor: int, currency: str) -> PatientPayment | None:
    """The webhook's entry point (billing.services routes appointment payments here)."""
    return RecordOnlinePayment(appointment_id=appointment_id, payment_intent=payment_intent, amount_minor=amount_minor, currency=currency).execute()


class RecordTargetPayment(ClinicAction):
    """Webhook job (in the clinic's schema): the online payment of an invoice or a plan's
    instalment (``kind``, clinic.payments.TARGETS) succeeded.

    Under the paid thing's row lock: only the Payment Intent stored on one of its
    attempts counts (billing.payments.check_intent; any other raises
    ForeignPaymentIntent and records nothing), for the amount that attempt asked.
    Exactly once per Payment Intent: one PatientPayment against it, the attempt marked
    paid, an audit entry, and a receipt e-mail queued in the patient's language. If the
    desk recorded a payment (or a credit note cancelled the invoice) while the card was
    being charged, what now exceeds what was due is refunded (a Refund row, sent to
    Stripe after commit). ``execute()`` returns the payment, or None when it was already
    recorded.
    """

    log_action = "clinic.payment.online"

    def __init__(self, *, kind: str, object_id: int, payment_intent: str, amount_minor: int, currency: str):
        super().__init__(actor=None)
        self.kind, self.object_id = kind, object_id
        self.payment_intent, self.amount_minor, self.currency = payment_intent, amount_minor, currency

    def execute(self) -> PatientPayment | None:
        from portal.tasks import enqueue_on_commit
        from portal.tenancy import current_schema

        from ..models import PaymentAttempt
        from ..payments import TARGETS
        from ..refunds import request_refund, send_after_commit

        target_class = TARGETS[self.kind]
        with transaction.atomic():
            paid = target_class.model.objects.select_for_update().get(pk=self.object_id)
            target = target_class(paid)
            what = f"{self.kind} {self.object_id} in {connection.schema_name}"
            attempt = _attempt_for(PaymentAttempt.objects.select_for_update().filter(**{self.kind: paid}), payment_intent=self.payment_intent,
                                   what=what, live_statuses=target_class.live_statuses)
            _check_amount(attempt, amount_minor=self.amount_minor, currency=self.currency, what=what)
            if PatientPayment.objects.filter(stripe_payment_intent=self.payment_intent).exists():
                return None
            due = target.amount_due(paid)  # before this payment
            payment = PatientPayment.objects.create(
                stripe_payment_intent=self.payment_intent, **{self.kind: paid}, patient=target.patient, amount=attempt.amount,
                currency=attempt.currency, method=PatientPayment.Method.ONLINE,
            )
            PaymentAttempt.objects.filter(pk=attempt.pk).update(status=PaymentAttempt.Status.SUCCEEDED)
            number = target.number(paid)
            self.write_log(payment, data={self.kind: number, "amount": str(payment.amount), "currency": payment.currency,
                                          "payment_intent": self.payment_intent})
            excess = payment.amount - max(due, Decimal("0"))
            if excess > 0:
                # Paid at the desk or cancelled by a credit note while the card was charged.
                send_after_commit(request_refund(payment=payment, amount=excess, reason=f"more than was due on {self.kind} {number}"))
            enqueue_on_commit("clinic.emails.send_payment_receipt", schema_name=current_schema(), payment_id=payment.pk)
        return payment


class RecordInvoicePayment(RecordTargetPayment):
    """The online payment of an invoice (RecordTargetPayment with ``kind="invoice"``)."""

    def __init__(self, *, invoice_id: int, payment_intent: str, amount_minor: int, currency: str):
        super().__init__(kind="invoice", object_id=invoice_id, payment_intent=payment_intent, amount_minor=amount_minor, currency=currency)


def record_invoice_payment(*, invoice_id: int, payment_intent: str, amount_minor: int, currency: str) -> PatientPayment | None:
    """The webhook's entry point for ``kind="invoice"`` (billing.services)."""
    return RecordInvoicePayment(invoice_id=invoice_id, payment_intent=payment_intent, amount_minor=amount_minor, currency=currency).execute()


def record_target_payment(*, kind: str, object_id: int, payment_intent: str, amount_minor: int, currency: str) -> PatientPayment | None:
    """The webhook's entry point for the kinds paid through clinic.payments targets other
    than appointments (``invoice``, ``instalment``)."""
    return RecordTargetPayment(kind=kind, object_id=object_id, payment_intent=payment_intent, amount_minor=amount_minor, currency=currency).execute()


def record_payment_failure(*, kind: str, object_id: int, payment_intent: str, message: str) -> None:
    """Webhook job: the online payment of an appointment, invoice or instalment (``kind``,
    the metadata's) failed. Its attempt is closed, so the patient's next try makes a new
    one; another intent raises ForeignPaymentIntent. (A payment attempt is Stripe's
    state mirrored, not clinic data a person changes.)"""
    from billing.payments import ForeignPaymentIntent

    from ..models import PaymentAttempt
    from ..payments import TARGETS

    attempts = PaymentAttempt.objects.filter(**{f"{TARGETS[kind].kind}_id": object_id}, stripe_payment_intent=payment_intent)
    if not attempts.exists():
        raise ForeignPaymentIntent(f"{payment_intent} is not a Payment Intent of {kind} {object_id} in {connection.schema_name}")
    attempts.filter(status=PaymentAttempt.Status.PENDING).update(status=PaymentAttempt.Status.FAILED, failure_message=message[:1000])


class RefundPayment(ClinicAction):
    """Staff give money back from a payment, with the reason: each refund its own row,
    signed by whoever asked. An online payment is refunded through Stripe after the row
    commits (clinic.refunds: one idempotency key per row, a sweep for lost sends); cash,
    card-terminal and transfer refunds are recorded as done. Under the payment's lock,
    so two clicks at once never refund more than was paid.

    ``execute()`` returns the Refund row as it stands after Stripe answered."""

    permission = "clinic.add_refund"
    log_action = "clinic.refund.staff"

    def __init__(self, payment: PatientPayment, *, amount: Decimal, reason: str, actor=None):
        super().__init__(actor=actor)
        self.payment, self.amount, self.reason = payment, amount, (reason or "").replace("\x00", "").strip()[:255]

    def perform(self):
        from django.utils import timezone

        from ..models import Refund
        from ..refunds import refundable, request_refund

        payment = PatientPayment.objects.select_for_update().get(pk=self.payment.pk)
        if not self.reason:
            raise ActionError(_("Say why the money is given back."))
        left = refundable(payment)
        if self.amount is None or self.amount <= 0 or self.amount > left:
            raise ActionError(_("Refund between 0.01 and %(left)s.") % {"left": left})
        refund = request_refund(payment=payment, amount=self.amount, reason=self.reason, requested_by=self.log_user)
        if payment.method != PatientPayment.Method.ONLINE:
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.SUCCEEDED, completed_at=timezone.now())
            PatientPayment.objects.filter(pk=payment.pk).update(refunded_amount=payment.refunded_amount + self.amount)
            refund.refresh_from_db()
        return refund

    def log_data(self, instance):
        return {"payment": instance.payment_id, "amount": str(instance.amount), "currency": instance.currency, "reason": instance.reason,
                "method": self.payment.method}

    def execute(self):
        from billing import gateway

        from ..refunds import send_refund

        refund = super().execute()
        if refund.status == refund.Status.PENDING:
            try:
                refund = send_refund(refund_id=refund.pk)  # outside the transaction; the sweep resends one left pending
            except gateway.GatewayError:
                refund.refresh_from_db()
        return refund


class CloseCash(ClinicAction):
    """The day's cash close: for each desk method, what the ledger expects, what was
    counted and the difference, signed by whoever closes. A day closes once (the
    database holds one close per day and method)."""

    permission = "clinic.add_cashclose"
    log_action = "clinic.cash.close"

    def __init__(self, *, day, counted: dict, note: str = "", actor=None):
        super().__init__(actor=actor)
        self.day, self.counted, self.note = day, counted, (note or "").replace("\x00", "").strip()[:255]

    def perform(self):
        from ..balance import DESK_METHODS, expected_at_the_desk
        from ..models import CashClose

        if CashClose.objects.filter(day=self.day).exists():
            raise ActionError(_("This day's cash is already closed."))
        expected = expected_at_the_desk(self.day)
        rows = []
        for method in DESK_METHODS:
            counted = self.counted.get(method)
            if counted is None or counted < 0:
                raise ActionError(_("Enter what was counted for each method (0 if nothing)."))
            rows.append(CashClose(day=self.day, method=method, expected=expected[method]["expected"], counted=counted,
                                  difference=counted - expected[method]["expected"], currency=connection.tenant.currency, note=self.note,
                                  closed_by=self.actor))
        try:
            with transaction.atomic():
                CashClose.objects.bulk_create(rows)
        except IntegrityError:
            raise ActionError(_("This day's cash is already closed.")) from None
        return rows[0]

    def write_log(self, instance, action=None, data=None):
        from ..models import CashClose

        rows = CashClose.objects.filter(day=self.day)
        super().write_log(instance, data={"day": self.day.isoformat(), "note": self.note, "methods": {
            row.method: {"expected": str(row.expected), "counted": str(row.counted), "difference": str(row.difference)} for row in rows}})
