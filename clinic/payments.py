"""Patients paying online (tenant schema): an appointment, an invoice, a plan's instalment,
through billing.gateway.

The card is saved in the page with a SetupIntent; the server charges the amount it
computes for the thing to pay, never one the browser sends; Stripe's webhook, routed by
the metadata put on the Payment Intent (kind, clinic schema, our id, attempt id),
records the payment (clinic.actions.payments).

Each thing a patient can pay is a :class:`PaymentTarget`: how to lock it, what is due
now, its live attempts, how to make an attempt, the idempotency key and the metadata.
:func:`pay` is the one charge path for all of them (billing.payments.pay_once: the
claim under the row lock, one Payment Intent however many requests arrive). A new
target (a treatment-plan instalment) is one subclass here, a foreign key on
PaymentAttempt, and one webhook kind in billing.services.
"""

from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from billing import gateway

from .actions import BookingError
from .models import Appointment, Estimate, EstimateInstalment, Invoice, Patient, PaymentAttempt


class NothingToPay(BookingError):
    """The thing is not payable online (any more): paid, cancelled, not the patient's kind."""


class PaymentTarget:
    """One thing a patient pays online. Subclasses set ``kind`` (the metadata kind, and the
    name of PaymentAttempt's foreign key to the thing) and ``model``, and write
    :meth:`payable` and :meth:`amount_due`; the rest is shared."""

    kind = ""
    model = None
    live_statuses = (PaymentAttempt.Status.PENDING, PaymentAttempt.Status.SUCCEEDED)

    def __init__(self, obj):
        self.obj = obj

    @property
    def patient(self) -> Patient:
        return self.obj.patient

    # -- inside the claim's transaction --------------------------------------------------
    def lock(self):
        """The thing's row, locked for the rest of the transaction (one claim at a time);
        raises NothingToPay when it cannot be paid now."""
        locked = self.model.objects.select_for_update().get(pk=self.obj.pk)
        self.payable(locked)
        return locked

    def payable(self, locked) -> None:
        """Raise NothingToPay (its message is shown to the patient) if ``locked`` cannot be paid."""
        raise NotImplementedError

    def amount_due(self, locked) -> Decimal:
        """What to charge now, from our rows (never from the browser)."""
        raise NotImplementedError

    def attempts(self, locked=None):
        return PaymentAttempt.objects.filter(**{self.kind: locked or self.obj})

    def live_attempts(self, locked):
        """The attempt requests must converge on (at most one: a database constraint)."""
        return self.attempts(locked).filter(status__in=self.live_statuses)

    def create_attempt(self, locked, **fields) -> PaymentAttempt:
        amount = self.amount_due(locked)
        if amount <= 0:
            raise NothingToPay(_("There is nothing left to pay."))
        return PaymentAttempt.objects.create(**{self.kind: locked}, amount=amount, currency=connection.tenant.currency, **fields)

    # -- outside it: the Stripe side -----------------------------------------------------
    def idempotency_key(self, attempt: PaymentAttempt) -> str:
        return f"{self.kind}-{connection.schema_name}-{self.obj.pk}-attempt-{attempt.pk}"

    def metadata(self, attempt: PaymentAttempt) -> dict:
        """What the webhook routes by (DESIGN tenancy rule 6): kind, clinic, our id, attempt."""
        return {"kind": self.kind, "clinic": connection.schema_name, self.kind: str(self.obj.pk), "attempt": str(attempt.pk)}


class AppointmentTarget(PaymentTarget):
    """An appointment held for its online amount (full price or deposit, per service)."""

    kind = "appointment"
    model = Appointment

    def payable(self, locked) -> None:
        if locked.status != Appointment.Status.PENDING_PAYMENT:
            raise NothingToPay(_("This appointment has nothing left to pay online."))

    def amount_due(self, locked) -> Decimal:
        return locked.amount_online


class InvoiceTarget(PaymentTarget):
    """An issued invoice with something outstanding: its total, less credit notes, less
    payments against it (net of their refunds). A payment recorded against it lowers
    what is due, so only pending attempts are live (see PaymentAttempt)."""

    kind = "invoice"
    model = Invoice
    live_statuses = (PaymentAttempt.Status.PENDING,)

    def payable(self, locked) -> None:
        if locked.kind != Invoice.Kind.INVOICE:
            raise NothingToPay(_("A credit note is not paid."))
        if not self.live_attempts(locked).exists() and self.amount_due(locked) <= 0:
            raise NothingToPay(_("This invoice is already paid."))

    def amount_due(self, locked) -> Decimal:
        return locked.outstanding_amount()

    def number(self, locked) -> str:
        return locked.full_number


class InstalmentTarget(PaymentTarget):
    """An instalment of an accepted treatment-plan estimate: its amount less what was paid
    toward it (net of refunds). Like an invoice, only pending attempts are live."""

    kind = "instalment"
    model = EstimateInstalment
    live_statuses = (PaymentAttempt.Status.PENDING,)

    @property
    def patient(self) -> Patient:
        return Patient.objects.get(plans__estimates__instalments=self.obj)

    def payable(self, locked) -> None:
        if not Estimate.objects.filter(pk=locked.estimate_id, status=Estimate.Status.ACCEPTED).exists():
            raise NothingToPay(_("Only the instalments of an accepted estimate are paid."))
        if not self.live_attempts(locked).exists() and self.amount_due(locked) <= 0:
            raise NothingToPay(_("This instalment is already paid."))

    def amount_due(self, locked) -> Decimal:
        from .actions.plans import paid_toward

        return max(locked.amount - paid_toward(locked), Decimal("0"))

    def number(self, locked) -> str:
        return f"{Estimate.objects.select_related('plan').get(pk=locked.estimate_id).number} #{locked.sequence}"


def prepare_card(*, patient: Patient) -> str:
    """A SetupIntent for the patient's Stripe customer (made on first use). Returns its client secret."""
    metadata = {"kind": "patient", "clinic": connection.schema_name, "patient": str(patient.pk)}
    if patient.stripe_customer:
        try:
            return gateway.create_setup_intent(customer=patient.stripe_customer, metadata=metadata)[1]
        except gateway.GatewayError:
            pass  # the customer is gone on Stripe's side (deleted, or another account): start afresh
    patient.stripe_customer = gateway.create_customer(
        email=patient.email, name=str(patient), metadata=metadata,
        idempotency_key=f"customer-{connection.schema_name}-patient-{patient.pk}-after-{patient.stripe_customer or 'none'}",
    )
    patient.saved_card = ""
    patient.save(update_fields=["stripe_customer", "saved_card"])
    return gateway.create_setup_intent(customer=patient.stripe_customer, metadata=metadata)[1]


def pay(target: PaymentTarget, *, setup_intent: str = "", use_saved_card: bool = False) -> gateway.Charge:
    """Charge what ``target`` has due now, with the card just saved (or the patient's saved
    card): one Payment Intent however many requests arrive.

    Under the target's row lock the first request creates the pending PaymentAttempt
    (its amount computed there); it alone creates the intent, stores its id and
    confirms it. Any other request continues that intent and returns its state
    (``processing``, ``requires_action`` with the 3-D Secure step, ``succeeded``) —
    see billing.payments. No Stripe call runs under the lock. The card is kept on the
    patient for later payments. Raises NothingToPay when there is nothing to pay,
    gateway.GatewayError on a decline.
    """
    from billing.payments import claim, pay_once

    target.payable(target.obj)  # before anything reaches Stripe; checked again under the lock
    patient = target.patient
    if use_saved_card:
        if not patient.saved_card:
            raise BookingError(_("There is no saved card. Please enter one."))
        card = patient.saved_card
    else:
        card = gateway.saved_payment_method(setup_intent=setup_intent, customer=patient.stripe_customer)
        if patient.saved_card != card:
            Patient.objects.filter(pk=patient.pk).update(saved_card=card)

    def claim_locked():
        locked = target.lock()
        return claim(target.live_attempts(locked), lambda **fields: target.create_attempt(locked, **fields))

    def charge_args(claimed):
        attempt = PaymentAttempt.objects.get(pk=claimed.pk)
        return dict(
            key=target.idempotency_key(attempt), customer=patient.stripe_customer, payment_method=card,
            amount=attempt.amount, currency=attempt.currency, metadata=target.metadata(attempt),
        )

    return pay_once(model=PaymentAttempt, claim_locked=claim_locked, charge_args=charge_args)


def pay_appointment(*, appointment: Appointment, setup_intent: str = "", use_saved_card: bool = False) -> gateway.Charge:
    """The appointment's online amount, charged once (:func:`pay`). Raises BookingError
    when the hold has expired, gateway.GatewayError on a decline."""
    return pay(AppointmentTarget(appointment), setup_intent=setup_intent, use_saved_card=use_saved_card)


def pay_invoice(*, invoice: Invoice, setup_intent: str = "", use_saved_card: bool = False) -> gateway.Charge:
    """What is outstanding on ``invoice``, charged once (:func:`pay`); a partly paid invoice
    is charged only the rest. Raises NothingToPay for a paid invoice or a credit note,
    gateway.GatewayError on a decline."""
    return pay(InvoiceTarget(invoice), setup_intent=setup_intent, use_saved_card=use_saved_card)


def pay_instalment(*, instalment: EstimateInstalment, setup_intent: str = "", use_saved_card: bool = False) -> gateway.Charge:
    """What is left to pay of a plan's instalment, charged once (:func:`pay`). Raises
    NothingToPay when the estimate is not accepted or the instalment is paid,
    gateway.GatewayError on a decline."""
    return pay(InstalmentTarget(instalment), setup_intent=setup_intent, use_saved_card=use_saved_card)


# Metadata kind → target, for the webhook (billing.services routes these kinds to the clinic).
TARGETS = {target.kind: target for target in (AppointmentTarget, InvoiceTarget, InstalmentTarget)}
