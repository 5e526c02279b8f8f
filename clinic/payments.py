"""Patients paying for appointments online (tenant schema), through billing.gateway.

The card is saved in the page with a SetupIntent; the server charges the amount it
holds for the appointment; Stripe's webhook, routed by the metadata put on the
Payment Intent (kind, clinic schema, appointment id), records the payment.
"""

from django.db import connection
from django.utils.translation import gettext as _

from billing import gateway

from .booking import BookingError
from .models import Appointment, Patient


def prepare_card(*, patient: Patient) -> str:
    """A SetupIntent for the patient's Stripe customer (made on first use). Returns its client secret."""
    metadata = {"kind": "patient", "clinic": connection.schema_name, "patient": str(patient.pk)}
    if patient.stripe_customer:
        try:
            return gateway.create_setup_intent(customer=patient.stripe_customer, metadata=metadata)[1]
        except gateway.GatewayError:
            pass  # the customer is gone on Stripe's side (deleted, or another account): start afresh
    patient.stripe_customer = gateway.create_customer(email=patient.email, name=str(patient), metadata=metadata)
    patient.saved_card = ""
    patient.save(update_fields=["stripe_customer", "saved_card"])
    return gateway.create_setup_intent(customer=patient.stripe_customer, metadata=metadata)[1]


def pay_appointment(*, appointment: Appointment, setup_intent: str = "", use_saved_card: bool = False) -> gateway.Charge:
    """Charge what the appointment holds to pay online, with the card just saved (or the
    patient's saved card).

    The card is kept on the patient for later payments. Raises BookingError when the
    hold has expired, gateway.GatewayError on a decline.
    """
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
