"""Patients paying for appointments online (tenant schema), through billing.gateway.

The card is saved in the page with a SetupIntent; the server charges the amount it
holds for the appointment; Stripe's webhook, routed by the metadata put on the
Payment Intent (kind, clinic schema, appointment id), records the payment.
"""

from django.db import connection

from billing import gateway

from .booking import BookingError
from .models import Appointment, Patient


def prepare_card(*, patient: Patient) -> str:
    """A SetupIntent for the patient's Stripe customer (made on first use). Returns its client secret."""
    metadata = {"kind": "patient", "clinic": connection.schema_name, "patient": str(patient.pk)}
    if not patient.stripe_customer:
        patient.stripe_customer = gateway.create_customer(email=patient.email, name=str(patient), metadata=metadata)
        patient.save(update_fields=["stripe_customer"])
    _id, secret = gateway.create_setup_intent(customer=patient.stripe_customer, metadata=metadata)
    return secret


def pay_appointment(*, appointment: Appointment, setup_intent: str) -> gateway.Charge:
    """Charge what the appointment holds to pay online, with the card just saved.

    The card is kept on the patient for later payments. Raises BookingError when the
    hold has expired, gateway.GatewayError on a decline.
    """
    if appointment.status != Appointment.Status.PENDING_PAYMENT:
        raise BookingError("This appointment has nothing left to pay online.")
    patient = appointment.patient
    card = gateway.saved_payment_method(setup_intent=setup_intent, customer=patient.stripe_customer)
    if patient.saved_card != card:
        patient.saved_card = card
        patient.save(update_fields=["saved_card"])
    return gateway.charge(
        customer=patient.stripe_customer,
        payment_method=card,
        amount=appointment.amount_online,
        currency=connection.tenant.currency,
        metadata={"kind": "appointment", "clinic": connection.schema_name, "appointment": str(appointment.pk)},
        off_session=False,
    )
