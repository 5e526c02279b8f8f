"""What patients change themselves on the clinic's site, and what the website receives:
their Patient record (at signup, on first use, from the profile page) and contact
messages. Each is audited like staff changes; the actor is the patient (or nobody,
for an anonymous website visitor)."""

from django.utils import timezone

from ..models import ContactMessage, Patient
from .base import ClinicAction

PROFILE_FIELDS = ["first_name", "last_name", "phone", "date_of_birth", "national_id"]


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


class SelfAction(ClinicAction):
    """Done by the signed-in person to their own account: allowed for that person only."""

    def __init__(self, *, user, actor=None):
        super().__init__(actor=actor if actor is not None else user)
        self.user = user

    def user_has_permission(self) -> bool:
        return self.actor is None or (self.actor.is_authenticated and self.actor.pk == self.user.pk)


class RegisterPatient(SelfAction):
    """The Patient record behind a new account, which staff see in the admin.

    ``language`` (the one the person signed up in) is the one e-mails are written in;
    empty keeps the account's. Side effects: the user row, the Patient row."""

    log_action = "clinic.patient.register"

    def __init__(self, *, user, first_name, last_name, phone, date_of_birth=None, national_id="", language=""):
        super().__init__(user=user)
        self.fields = dict(first_name=first_name, last_name=last_name, phone=phone, date_of_birth=date_of_birth, national_id=national_id)
        self.language = language

    def perform(self) -> Patient:
        user, data = self.user, self.fields
        user.first_name, user.last_name, user.phone = data["first_name"], data["last_name"], data["phone"]
        fields = ["first_name", "last_name", "phone"]
        if self.language:
            user.language = self.language
            fields.append("language")
        user.save(update_fields=fields)
        patient, _ = Patient.objects.update_or_create(user=user, defaults=dict(data, email=user.email, privacy_consent_at=timezone.now()))
        return patient

    def log_data(self, instance):
        return {"email": instance.email, "privacy_consent_at": _plain(instance.privacy_consent_at)}


class EnsurePatientRecord(SelfAction):
    """The signed-in person's Patient record, made from the account the first time
    (an account staff created). Returns it; writes (and logs) only when it is new."""

    log_action = "clinic.patient.register"

    def execute(self) -> Patient:
        patient = Patient.objects.filter(user=self.user).first()
        return patient if patient is not None else super().execute()

    def perform(self) -> Patient:
        user = self.user
        patient, _ = Patient.objects.get_or_create(
            user=user, defaults=dict(first_name=user.first_name or user.email.split("@")[0], last_name=user.last_name, email=user.email),
        )
        return patient

    def log_data(self, instance):
        return {"email": instance.email, "from_account": True}


class UpdateOwnDetails(SelfAction):
    """The patient corrects their contact details from their account page; the audit
    entry keeps the fields before and after."""

    log_action = "clinic.patient.update_own"

    def __init__(self, *, user, patient: Patient, changes: dict):
        super().__init__(user=user)
        self.patient, self.changes = patient, {k: v for k, v in changes.items() if k in PROFILE_FIELDS}

    def user_has_permission(self) -> bool:
        return super().user_has_permission() and self.patient.user_id == self.user.pk

    def perform(self) -> Patient:
        patient = Patient.objects.select_for_update().get(pk=self.patient.pk)
        self.before = {k: _plain(getattr(patient, k)) for k in self.changes}
        for name, value in self.changes.items():
            setattr(patient, name, value)
        patient.save(update_fields=list(self.changes))
        return patient

    def log_data(self, instance):
        after = {k: _plain(getattr(instance, k)) for k in self.changes}
        changed = [k for k in self.changes if self.before[k] != after[k]]
        return {"before": {k: self.before[k] for k in changed}, "after": {k: after[k] for k in changed}}


class ReceiveContactMessage(ClinicAction):
    """Store a website enquiry, then queue the e-mail to the clinic.

    Side effects: one ContactMessage row; with it, one job
    (``clinic.tasks.email_contact_message``). The row is the record: a failing mail
    server loses nothing, and staff see every message in the admin inbox."""

    log_action = "clinic.contact.receive"

    def __init__(self, *, name: str, email: str, phone: str = "", message: str):
        super().__init__(actor=None)
        self.data = dict(name=name, email=email, phone=phone, message=message)

    def perform(self) -> ContactMessage:
        from portal.tasks import enqueue_on_commit
        from portal.tenancy import current_schema

        contact = ContactMessage.objects.create(**self.data)
        enqueue_on_commit("clinic.tasks.email_contact_message", message_id=contact.pk, schema_name=current_schema())
        return contact

    def log_data(self, instance):
        return {"email": instance.email}
