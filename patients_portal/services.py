"""Patient-side use cases (tenant schema)."""

from clinic.models import Patient


def register_patient(*, user, first_name, last_name, phone, date_of_birth=None, national_id="", language="") -> Patient:
    """The Patient record behind a new account (clinic.actions.self_service.RegisterPatient)."""
    from clinic.actions.self_service import RegisterPatient

    return RegisterPatient(user=user, first_name=first_name, last_name=last_name, phone=phone, date_of_birth=date_of_birth,
                           national_id=national_id, language=language).execute()


def patient_for(user) -> Patient:
    """The signed-in person's Patient record (made from the account, audited, the first time)."""
    from clinic.actions.self_service import EnsurePatientRecord

    return EnsurePatientRecord(user=user).execute()


def export_patient_data(patient: Patient) -> dict:
    """Everything the clinic holds about the patient through the portal, as plain data:
    details, appointments, payments, treatment plans with their estimates, and the clinical
    record (without private notes)."""
    from clinic.records.export import record_data

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
        "treatment_plans": [
            {"number": plan.number, "title": plan.title, "status": plan.status, "estimates": [
                {"number": e.number, "status": e.status, "presented_at": e.presented_at.isoformat(), "valid_until": e.valid_until.isoformat(),
                 "currency": e.currency, "total": str(e.total), "accepted_at": e.accepted_at.isoformat() if e.accepted_at else None,
                 "accepted_name": e.accepted_name, "accepted_via": e.accepted_via,
                 "lines": [{"description": line.description, "tooth": line.tooth, "surfaces": line.surfaces, "phase": line.phase,
                            "quantity": line.quantity, "unit_price": str(line.unit_price), "discount_percent": str(line.discount_percent),
                            "total": str(line.total)} for line in e.lines.all()],
                 "instalments": [{"amount": str(i.amount), "when": str(i.when)} for i in e.instalments.all()]}
                for e in plan.estimates.order_by("version")]}
            for plan in patient.plans.exclude(status="draft").order_by("created")
        ],
        "clinical_record": record_data(patient, for_patient=True),
    }
