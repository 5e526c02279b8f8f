"""Every change to a clinical record (clinic.actions.base.ClinicAction: permission on the
server, one transaction, Wagtail's audit log), plus a line in the access log.

Roles: practitioners and clinic admins write clinical content; reception may add
administrative documents only; private notes belong to their author (and clinic
admins read them); a visit is its author's and locks 24 hours after it was opened.
"""

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.actions.base import ActionError, ClinicAction, when
from clinic.models import Appointment, Patient, Practitioner

from . import odontogram
from .access import can_write_clinical, record_access
from .models import AccessLogEntry, Addendum, ClinicalDocument, MedicalHistory, OdontogramVersion, Visit
from .uploads import check_upload


class RecordAction(ClinicAction):
    """A change to a patient's record: also written to the access log, with the request's IP."""

    access = AccessLogEntry.Action.CHANGE
    area = AccessLogEntry.Area.FILE

    def __init__(self, *, actor=None, request=None):
        super().__init__(actor=actor)
        self.request = request

    def access_detail(self, instance) -> str:
        return ""

    def patient_of(self, instance) -> Patient:
        return instance.patient

    def write_log(self, instance, action=None, data=None):
        super().write_log(instance, action, data)
        record_access(self.request, self.patient_of(instance), self.access, self.area, self.access_detail(instance), user=self.actor)


class SaveMedicalHistory(RecordAction):
    permission = "records.change_medicalhistory"
    log_action = "records.history.change"
    area = AccessLogEntry.Area.HISTORY

    def __init__(self, patient, *, data: dict, alerts: list, alert_note: str, **kwargs):
        super().__init__(**kwargs)
        self.patient, self.data, self.alerts, self.alert_note = patient, data, list(alerts), alert_note

    def perform(self):
        history, _created = MedicalHistory.objects.select_for_update().get_or_create(patient=self.patient)
        patient = Patient.objects.select_for_update().get(pk=self.patient.pk)
        self.before = {**history.as_data(), "alerts": patient.alerts, "alert_note": patient.alert_note}
        for field in MedicalHistory.FIELDS:
            setattr(history, field, self.data.get(field, getattr(history, field)))
        history.updated_at, history.updated_by = timezone.now(), self.log_user
        history.save()
        patient.alerts, patient.alert_note = self.alerts, self.alert_note
        patient.save(update_fields=["alerts", "alert_note"])
        return history

    def log_data(self, instance):
        after = {**instance.as_data(), "alerts": self.alerts, "alert_note": self.alert_note}
        return {"patient": instance.patient_id, "before": self.before, "after": after}


def _practitioner_of(user) -> Practitioner:
    practitioner = Practitioner.objects.filter(user=user).first() if user is not None else None
    if practitioner is None:
        raise ActionError(_("Only practitioners write visits: your account has no practitioner profile."))
    return practitioner


class CreateVisit(RecordAction):
    """A visit written by hand (one without an appointment, or before it was completed)."""

    permission = "records.add_visit"
    log_action = "records.visit.create"
    area = AccessLogEntry.Area.VISIT
    access = AccessLogEntry.Action.CREATE

    def __init__(self, patient, *, data: dict, appointment=None, **kwargs):
        super().__init__(**kwargs)
        self.patient, self.data, self.appointment = patient, data, appointment

    def perform(self):
        if self.appointment is not None and Visit.objects.filter(appointment=self.appointment).exists():
            raise ActionError(_("This appointment already has its visit."))
        now = timezone.now()
        return Visit.objects.create(patient=self.patient, practitioner=_practitioner_of(self.actor), appointment=self.appointment,
                                    author=self.actor, opened_at=now, signed_at=now, **self.data)

    def log_data(self, instance):
        return {"patient": instance.patient_id, "after": instance.as_data()}

    def access_detail(self, instance):
        return instance.date.isoformat()


def open_visit_for(appointment: Appointment) -> Visit:
    """The visit of a completed appointment, opened for its practitioner (idempotent).
    Runs inside CompleteAppointment's transaction (clinic.actions.appointments)."""
    visit, created = Visit.objects.get_or_create(
        appointment=appointment,
        defaults={"patient": appointment.patient, "practitioner": appointment.practitioner, "author": appointment.practitioner.user,
                  "date": timezone.localdate(appointment.start), "reason": appointment.service.name},
    )
    if created:
        record_access(None, appointment.patient, AccessLogEntry.Action.CREATE, AccessLogEntry.Area.VISIT, visit.date.isoformat(), user=None)
    return visit


class UpdateVisit(RecordAction):
    """The author's own edit of a visit, within 24 hours of opening it; saving signs it."""

    permission = "records.change_visit"
    log_action = "records.visit.change"
    area = AccessLogEntry.Area.VISIT

    def __init__(self, visit, *, data: dict, **kwargs):
        super().__init__(**kwargs)
        self.visit, self.data = visit, data

    def user_has_permission(self):
        return super().user_has_permission() and self.actor is not None and self.visit.author_id == self.actor.pk

    def perform(self):
        visit = Visit.objects.select_for_update().get(pk=self.visit.pk)
        if visit.is_locked():
            raise ActionError(_("This visit was opened more than 24 hours ago and is locked. Add an addendum instead."))
        self.before = visit.as_data(private=True)
        for field, value in self.data.items():
            if field in Visit.CLINICAL_FIELDS:
                setattr(visit, field, value)
        visit.signed_at = timezone.now()
        visit.save()
        return visit

    def log_data(self, instance):
        return {"patient": instance.patient_id, "before": self.before, "after": instance.as_data(private=True), "signed": when(instance.signed_at)}

    def access_detail(self, instance):
        return instance.date.isoformat()


class AddAddendum(RecordAction):
    permission = "records.add_addendum"
    log_action = "records.visit.addendum"
    area = AccessLogEntry.Area.VISIT
    access = AccessLogEntry.Action.CREATE

    def __init__(self, visit, *, text: str, **kwargs):
        super().__init__(**kwargs)
        self.visit, self.text = visit, (text or "").replace("\x00", "").strip()

    def perform(self):
        if not self.text:
            raise ActionError(_("Write the addendum."))
        return Addendum.objects.create(visit=self.visit, text=self.text, author=self.actor)

    def patient_of(self, instance):
        return self.visit.patient

    def log_data(self, instance):
        return {"patient": self.visit.patient_id, "visit": self.visit.pk, "text": instance.text}

    def access_detail(self, instance):
        return f"{self.visit.date.isoformat()} (+)"


class SaveOdontogram(RecordAction):
    """A new version of the patient's chart (never an edit of the last one)."""

    permission = "records.add_odontogramversion"
    log_action = "records.odontogram.save"
    area = AccessLogEntry.Area.ODONTOGRAM
    access = AccessLogEntry.Action.CHANGE

    def __init__(self, patient, *, chart, note: str = "", visit=None, **kwargs):
        super().__init__(**kwargs)
        self.patient, self.raw, self.note, self.visit = patient, chart, (note or "").strip()[:200], visit

    def perform(self):
        try:
            chart = odontogram.validate_chart(self.raw)
        except ValidationError as error:
            raise ActionError(error.messages[0]) from error
        # One writer at a time per patient, so two saves never both think they change the same version.
        Patient.objects.select_for_update().filter(pk=self.patient.pk).first()
        current = OdontogramVersion.objects.filter(patient=self.patient).first()
        self.before = current.chart if current else {}
        if chart == self.before:
            raise ActionError(_("Nothing changed on the odontogram: no new version was saved."))
        return OdontogramVersion.objects.create(patient=self.patient, chart=chart, note=self.note, visit=self.visit, author=self.actor)

    def log_data(self, instance):
        changes = odontogram.compare(self.before, instance.chart)
        return {"patient": instance.patient_id, "teeth": [c.tooth for c in changes], "after": instance.chart}


class UploadDocument(RecordAction):
    """A file attached to a record, checked by content and size, kept in private storage.
    Reception may upload administrative documents only (consent forms and the like)."""

    permission = "records.add_clinicaldocument"
    log_action = "records.document.upload"
    area = AccessLogEntry.Area.DOCUMENT
    access = AccessLogEntry.Action.CREATE

    def __init__(self, patient, *, upload, kind, title, visit=None, shared_with_patient=False, administrative=False, **kwargs):
        super().__init__(**kwargs)
        self.patient, self.upload, self.kind, self.title, self.visit = patient, upload, kind, (title or "").strip(), visit
        self.shared, self.administrative = bool(shared_with_patient), bool(administrative)

    def perform(self):
        if not can_write_clinical(self.actor) and self.actor is not None:
            self.administrative = True  # reception: never clinical content
            self.shared = False
        if self.kind not in ClinicalDocument.Kind.values:
            raise ActionError(_("Choose the kind of document."))
        if self.visit is not None and self.visit.patient_id != self.patient.pk:
            raise ActionError(_("That visit belongs to another patient."))
        content_type = check_upload(self.upload, limit_mb=connection.tenant.document_limit_mb)
        return ClinicalDocument.objects.create(
            patient=self.patient, visit=self.visit, kind=self.kind, title=self.title or self.upload.name[:120], file=self.upload,
            content_type=content_type, size=self.upload.size, original_name=self.upload.name[:200], shared_with_patient=self.shared,
            administrative=self.administrative, uploaded_by=self.actor,
        )

    def log_data(self, instance):
        return {"patient": instance.patient_id, "kind": instance.kind, "title": instance.title, "size": instance.size,
                "shared": instance.shared_with_patient, "administrative": instance.administrative}

    def access_detail(self, instance):
        return instance.title


class ShareDocument(RecordAction):
    """Share a document with the patient (or stop sharing it): the one change a document takes."""

    permission = "records.change_clinicaldocument"
    log_action = "records.document.share"
    area = AccessLogEntry.Area.DOCUMENT

    def __init__(self, document, *, shared: bool, **kwargs):
        super().__init__(**kwargs)
        self.document, self.shared = document, bool(shared)

    def perform(self):
        document = ClinicalDocument.objects.select_for_update().get(pk=self.document.pk)
        document.shared_with_patient = self.shared
        document.save(update_fields=["shared_with_patient"])
        return document

    def log_data(self, instance):
        return {"patient": instance.patient_id, "shared": instance.shared_with_patient}

    def access_detail(self, instance):
        return instance.title


class ArchivePatient(RecordAction):
    """What "delete" does to a patient: the record is kept (Ley 41/2002 art. 17, at least
    five years after the last visit) and leaves daily views. Refused while the patient
    still has appointments ahead."""

    permission = "clinic.delete_patient"
    log_action = "clinic.patient.archive"

    def __init__(self, patient, **kwargs):
        super().__init__(**kwargs)
        self.patient = patient

    def patient_of(self, instance):
        return instance

    def perform(self):
        patient = Patient.objects.select_for_update().get(pk=self.patient.pk)
        if patient.archived_at:
            raise ActionError(_("This patient is already archived."))
        ahead = Appointment.objects.filter(patient=patient, start__gte=timezone.now(), status__in=Appointment.BLOCKING).exclude(
            status__in=[Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW]).count()
        if ahead:
            raise ActionError(_("Cancel this patient's appointments ahead first (%(count)s).") % {"count": ahead})
        patient.archived_at = timezone.now()
        patient.save(update_fields=["archived_at"])
        return patient

    def log_data(self, instance):
        return {"name": str(instance)}


class RestorePatient(ArchivePatient):
    log_action = "clinic.patient.restore"

    def perform(self):
        patient = Patient.objects.select_for_update().get(pk=self.patient.pk)
        if not patient.archived_at or patient.merged_into_id:
            raise ActionError(_("Only an archived patient who was not merged can be restored."))
        patient.archived_at = None
        patient.save(update_fields=["archived_at"])
        return patient


class MergePatients(RecordAction):
    """Two records of one person: everything of ``duplicate`` moves to ``keep`` (appointments,
    payments, visits, odontogram, documents, history, the online account), and
    ``duplicate`` is archived pointing at ``keep``. Its access-log lines stay as written
    (append-only); ``keep``'s log view includes them."""

    permission = "clinic.merge_patient"
    log_action = "clinic.patient.merge"

    def __init__(self, keep, duplicate, **kwargs):
        super().__init__(**kwargs)
        self.keep, self.duplicate = keep, duplicate

    def patient_of(self, instance):
        return instance

    def perform(self):
        if self.keep.pk == self.duplicate.pk:
            raise ActionError(_("Choose two different patients."))
        keep, duplicate = (Patient.objects.select_for_update().get(pk=p.pk) for p in sorted((self.keep, self.duplicate), key=lambda p: p.pk))
        if keep.pk != self.keep.pk:
            keep, duplicate = duplicate, keep
        if duplicate.archived_at:
            raise ActionError(_("%(name)s is archived; restore it before merging.") % {"name": duplicate})
        if keep.user_id and duplicate.user_id:
            raise ActionError(_("Both records have an online account. Keep the one whose account the patient uses."))
        self.moved = {}
        for relation in Patient._meta.related_objects:
            if relation.related_model is Patient or relation.one_to_one or relation.many_to_many:
                continue
            if not relation.field.db_constraint:  # the access log: append-only, stays as written
                continue
            manager = relation.related_model._base_manager
            count = manager.filter(**{relation.field.name: duplicate}).update(**{relation.field.name: keep})
            if count:
                self.moved[relation.related_model._meta.label] = count
        self._merge_history(keep, duplicate)
        for field in ("email", "phone", "date_of_birth", "national_id"):
            if not getattr(keep, field) and getattr(duplicate, field):
                setattr(keep, field, getattr(duplicate, field))
        keep.alerts = sorted(set(keep.alerts) | set(duplicate.alerts))
        keep.alert_note = "; ".join(n for n in (keep.alert_note, duplicate.alert_note) if n)[:200]
        user = duplicate.user
        duplicate.user, duplicate.archived_at, duplicate.merged_into = None, timezone.now(), keep
        duplicate.save(update_fields=["user", "archived_at", "merged_into"])
        if user is not None:
            keep.user = user
        keep.save()
        return keep

    def _merge_history(self, keep, duplicate):
        other = MedicalHistory.objects.filter(patient=duplicate).first()
        if other is None:
            return
        mine, _created = MedicalHistory.objects.get_or_create(patient=keep)
        for field in ("conditions", "allergies", "medication", "habits"):
            texts = [t for t in (getattr(mine, field), getattr(other, field)) if t]
            setattr(mine, field, "\n".join(dict.fromkeys(texts)))
        mine.blood_group = mine.blood_group or other.blood_group
        mine.save()
        self.moved["records.MedicalHistory"] = 1

    def access_detail(self, instance):
        return f"+ {self.duplicate} (#{self.duplicate.pk})"

    def log_data(self, instance):
        return {"kept": instance.pk, "merged": self.duplicate.pk, "merged_name": str(self.duplicate), "moved": self.moved}


__all__ = [
    "AddAddendum", "ArchivePatient", "CreateVisit", "MergePatients", "RestorePatient", "SaveMedicalHistory", "SaveOdontogram", "ShareDocument",
    "UpdateVisit", "UploadDocument", "open_visit_for",
]
