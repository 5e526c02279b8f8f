"""Patients paying for appointments online (tenant schema), through billing.gateway.

The card is saved in the page with a SetupIntent; the server charges the amount it
holds for the appointment; Stripe's webhook, routed by the metadata put on the
Payment Intent (kind, clinic schema, appointment id), records the payment.
"""

from django.db import connection
from django.utils.translation import gettext as _

from billing import gateway

from .actions import BookingError
from .models import Appointment, Patient, PaymentAttempt


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


def pay_appointment(*, appointment: Appointment, setup_intent: str = "", use_saved_card: bool = False) -> gateway.Charge:
    """Charge what the appointment holds to pay online, with the card just saved (or the
    patient's saved card): one Payment Intent however many requests arrive.

    Under the appointment's row lock the first request creates the pending
    PaymentAttempt; it alone creates the intent, stores its id and confirms it. Any
    other request continues that intent and returns its state (``processing``,
    ``requires_action`` with the 3-D Secure step, ``succeeded``) — see
    billing.payments. No Stripe call runs under the lock. The card is kept on the
    patient for later payments. Raises BookingError when the hold has expired,
    gateway.GatewayError on a decline.
    """
    from billing.payments import claim, pay_once

    if appointment.status != Appointment.Status.PENDING_PAYMENT:
        raise BookingError(_("This appointment has nothing left to pay online."))
    patient = appointment.patient
    if use_saved_card:
        if not patient.saved_card:
            raise BookingError(_("There is no saved card. Please enter one."))
        card = patient.saved_card
    else:
        card = gateway.saved_payment_method(setup_intent=setup_intent, customer=patient.stripe_customer)
        if patient.saved_card != card:
            Patient.objects.filter(pk=patient.pk).update(saved_card=card)
    currency, schema = connection.tenant.currency, connection.schema_name

    def claim_locked():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != Appointment.Status.PENDING_PAYMENT:
            raise BookingError(_("This appointment has nothing left to pay online."))
        live = PaymentAttempt.objects.filter(appointment=locked, status__in=[PaymentAttempt.Status.PENDING, PaymentAttempt.Status.SUCCEEDED])
        return claim(live, lambda **fields: PaymentAttempt.objects.create(appointment=locked, amount=locked.amount_online, currency=currency, **fields))

    def charge_args(claimed):
        attempt = PaymentAttempt.objects.get(pk=claimed.pk)
        return dict(
            key=f"appointment-{schema}-{appointment.pk}-attempt-{attempt.pk}", customer=patient.stripe_customer, payment_method=card,
            amount=attempt.amount, currency=attempt.currency,
            metadata={"kind": "appointment", "clinic": schema, "appointment": str(appointment.pk), "attempt": str(attempt.pk)},
        )

    return pay_once(model=PaymentAttempt, claim_locked=claim_locked, charge_args=charge_args)
