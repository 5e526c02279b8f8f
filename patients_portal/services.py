"""Patient-side use cases (tenant schema)."""

from django.db import transaction
from django.utils import timezone

from clinic.models import Patient


@transaction.atomic
def register_patient(*, user, first_name, last_name, phone, date_of_birth=None, national_id="", language="") -> Patient:
    """The Patient record behind a new account, which staff see in the admin.

    ``language`` (the one the person signed up in) is the one e-mails are written in
    (issue 8); empty keeps the account's. Side effects: the user row, the Patient row."""
    user.first_name, user.last_name, user.phone = first_name, last_name, phone
    fields = ["first_name", "last_name", "phone"]
    if language:
        user.language = language
        fields.append("language")
    user.save(update_fields=fields)
    patient, _ = Patient.objects.update_or_create(
        user=user,
        defaults=dict(first_name=first_name, last_name=last_name, email=user.email, phone=phone, date_of_birth=date_of_birth,
                      national_id=national_id, privacy_consent_at=timezone.now()),
    )
    return patient


def patient_for(user) -> Patient:
    """The signed-in person's Patient record (made from the account if staff created it)."""
    patient = Patient.objects.filter(user=user).first()
    if patient is None:
        patient = Patient.objects.create(user=user, first_name=user.first_name or user.email.split("@")[0], last_name=user.last_name, email=user.email)
    return patient


def export_patient_data(patient: Patient) -> dict:
    """Everything the clinic holds about the patient through the portal, as plain data."""
    return {
        "patient": {
            "first_name": patient.first_name, "last_name": patient.last_name, "email": patient.email, "phone": patient.phone,
            "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None, "national_id": patient.national_id,
            "privacy_consent_at": patient.privacy_consent_at.isoformat() if patient.privacy_consent_at else None,
        },
        "appointments": [
            {"service": a.service.name, "practitioner": a.practitioner.display_name, "start": a.start.isoformat(), "end": a.end.isoformat(),
             "status": a.status, "price": str(a.price)}
            for a in patient.appointments.select_related("service", "practitioner__user").order_by("start")
        ],
        "payments": [
            {"amount": str(p.amount), "currency": p.currency, "method": p.method, "received_at": p.received_at.isoformat(),
             "refunded": str(p.refunded_amount), "receipt": p.receipt_number}
            for p in patient.payments.order_by("received_at")
        ],
    }
