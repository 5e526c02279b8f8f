"""Patients as staff see them: find one, spot a likely duplicate, create one at the desk."""

from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower

from ..models import Patient
from ..models.people import ACCENTS, PLAIN, digits, plain, search_index_preferred  # noqa: F401  (re-exported for callers)
from .base import ClinicAction


class Plain(Func):
    """SQL twin of ``plain()``: lower(translate(field, accents, letters))."""

    function = "translate"

    def __init__(self, expression):
        super().__init__(Lower(expression), Value(ACCENTS), Value(PLAIN))


class Digits(Func):
    template = "regexp_replace(%(expressions)s, '\\D', '', 'g')"


def search(query: str, *, limit: int = 20):
    """Patients in daily use matching a name, phone, e-mail, national ID or date of birth
    (Patient.objects.search), first by surname."""
    with search_index_preferred():
        return list(Patient.objects.current().search(query).order_by("last_name", "first_name")[:limit])


def likely_duplicates(*, first_name: str, last_name: str, date_of_birth=None, phone: str = "", email: str = ""):
    """Patients who are probably the same person: same name and date of birth, or the
    same phone, or the same e-mail."""
    people = Patient.objects.annotate(first_plain=Plain(F("first_name")), last_plain=Plain(F("last_name")), phone_digits=Digits(F("phone")))
    condition = Q(pk__in=[])
    if date_of_birth:
        condition |= Q(first_plain=plain(first_name), last_plain=plain(last_name), date_of_birth=date_of_birth)
    if len(digits(phone)) >= 6:
        condition |= Q(phone_digits__endswith=digits(phone)[-9:])
    if email:
        condition |= Q(email__iexact=email.strip())
    return people.filter(condition).order_by("last_name", "first_name")


class CreatePatient(ClinicAction):
    """A patient created by staff (at the desk). Callers check likely_duplicates first and
    ask "is this the same person?"; this action only writes and audits."""

    permission = "clinic.add_patient"
    log_action = "clinic.patient.create"

    def __init__(self, *, first_name, last_name, phone="", email="", date_of_birth=None, national_id="", actor=None):
        super().__init__(actor=actor)
        self.data = dict(first_name=first_name.strip(), last_name=last_name.strip(), phone=phone.strip(), email=email.strip(),
                         date_of_birth=date_of_birth, national_id=national_id.strip())

    def perform(self) -> Patient:
        return Patient.objects.create(**self.data)

    def log_data(self, instance):
        return {"name": str(instance), "email": instance.email, "phone": instance.phone}
