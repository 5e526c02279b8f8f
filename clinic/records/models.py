"""Clinical records of a clinic (tenant schema).

Rules the database enforces itself (triggers in migration 0001, cloned with the
template into every clinic):

- nothing here is ever deleted (a patient is archived, never removed);
- the access log, addenda and odontogram versions are never changed once written;
- a visit cannot change 24 hours after it was opened (only addenda follow);
- moving rows to another patient (a merge) is the one change allowed on locked rows.

Changes go through ``clinic.records.actions``, which check the role, write Wagtail's
audit log and this app's access log.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LOCK_AFTER = timedelta(hours=24)


class MedicalHistory(models.Model):
    """The patient's background, one per patient; changes are audited before/after."""

    class BloodGroup(models.TextChoices):
        UNKNOWN = "", _("unknown")
        O_NEG = "0-", "0−"
        O_POS = "0+", "0+"
        A_NEG = "A-", "A−"
        A_POS = "A+", "A+"
        B_NEG = "B-", "B−"
        B_POS = "B+", "B+"
        AB_NEG = "AB-", "AB−"
        AB_POS = "AB+", "AB+"

    patient = models.OneToOneField("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="history")
    conditions = models.TextField(_("conditions"), blank=True, help_text=_("Illnesses, surgery, hospital stays."))
    allergies = models.TextField(_("allergies"), blank=True)
    medication = models.TextField(_("current medication"), blank=True)
    blood_group = models.CharField(_("blood group"), max_length=3, choices=BloodGroup.choices, blank=True)
    habits = models.TextField(_("habits"), blank=True, help_text=_("Tobacco, alcohol, bruxism, diet…"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("medical history")
        verbose_name_plural = _("medical histories")

    def __str__(self):
        return str(_("Medical history of %(patient)s") % {"patient": self.patient})

    FIELDS = ("conditions", "allergies", "medication", "blood_group", "habits")

    def as_data(self) -> dict:
        return {f: getattr(self, f) for f in self.FIELDS}


class VisitQuerySet(models.QuerySet):
    def for_patient_view(self):
        return self.select_related("practitioner__user", "author", "appointment__service").prefetch_related("addenda__author")


class Visit(models.Model):
    """One episode of care: what the practitioner saw and did, signed by its author.

    Opened when an appointment is completed (or by hand); editable by its author for 24
    hours after it was opened, then locked: corrections are addenda.
    """

    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="visits")
    practitioner = models.ForeignKey("clinic.Practitioner", verbose_name=_("practitioner"), on_delete=models.PROTECT, related_name="visits")
    appointment = models.OneToOneField("clinic.Appointment", verbose_name=_("appointment"), null=True, blank=True, on_delete=models.PROTECT, related_name="visit")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason for the visit"), max_length=200, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    diagnosis_code = models.CharField(_("diagnosis code"), max_length=20, blank=True, help_text=_("Optional, for example ICD-10 K02.1."))
    procedure = models.TextField(_("procedure done"), blank=True)
    prescriptions = models.TextField(_("prescriptions"), blank=True)
    private_note = models.TextField(_("private note"), blank=True, help_text=_("Seen only by you and the clinic's admins; never by the patient."))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-opened_at"]
        indexes = [models.Index(fields=["patient", "-date"], name="records_visit_patient_date")]
        permissions = [("view_any_private_note", _("Can read every practitioner's private notes"))]

    def __str__(self):
        return str(_("Visit of %(date)s") % {"date": self.date.strftime("%d/%m/%Y")})

    CLINICAL_FIELDS = ("date", "reason", "findings", "diagnosis", "diagnosis_code", "procedure", "prescriptions", "private_note")

    @property
    def locks_at(self):
        return self.opened_at + LOCK_AFTER

    def is_locked(self, now=None) -> bool:
        return (now or timezone.now()) >= self.locks_at

    def as_data(self, *, private=False) -> dict:
        data = {f: getattr(self, f) for f in self.CLINICAL_FIELDS if f != "private_note" or private}
        data["date"] = self.date.isoformat()
        return data


class Addendum(models.Model):
    """A dated, signed addition to a locked visit. Never changed."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("signed"), default=timezone.now)

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["created"]

    def __str__(self):
        return str(_("Addendum of %(date)s") % {"date": timezone.localtime(self.created).strftime("%d/%m/%Y %H:%M")})


class OdontogramVersion(models.Model):
    """The whole chart as saved once: every save is a new version, never an edit.

    ``chart`` holds only validated data (clinic.records.odontogram.validate_chart)."""

    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="odontograms")
    chart = models.JSONField(_("chart"), default=dict)
    note = models.CharField(_("note"), max_length=200, blank=True)
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.PROTECT, related_name="odontograms")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("odontogram version")
        verbose_name_plural = _("odontogram versions")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["patient", "-created"], name="records_odonto_patient")]

    def __str__(self):
        return str(_("Odontogram of %(date)s") % {"date": timezone.localtime(self.created).strftime("%d/%m/%Y %H:%M")})


def document_path(instance, filename):
    """Private storage (portal.storage: "records/" is not a public folder), a random name:
    the patient's name or the original file name never appear in a path."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"records/{instance.patient_id}/{uuid.uuid4().hex}.{extension}"


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import can_read_clinical

        if can_read_clinical(user):
            return self
        if user.has_perm("records.view_administrative_document"):
            return self.filter(administrative=True)
        return self.none()


class ClinicalDocument(models.Model):
    class Kind(models.TextChoices):
        XRAY = "xray", _("X-ray")
        PHOTO = "photo", _("photo")
        LAB = "lab", _("lab result")
        CONSENT = "consent", _("consent form")
        PRESCRIPTION = "prescription", _("prescription")
        REPORT = "report", _("report")
        OTHER = "other", _("other")

    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="documents")
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size"))
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    shared_with_patient = models.BooleanField(_("shared with the patient"), default=False, help_text=_("The patient sees and downloads it in their account."))
    administrative = models.BooleanField(_("administrative"), default=False, help_text=_("Reception may see it (consent forms, invoices from others). Not for clinical content."))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("clinical document")
        verbose_name_plural = _("clinical documents")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["patient", "-created"], name="records_document_patient")]
        permissions = [("view_administrative_document", _("Can see documents marked administrative"))]

    def __str__(self):
        return self.title

    @property
    def previewable(self) -> bool:
        return self.content_type in ("image/png", "image/jpeg", "application/pdf")

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class AccessLogEntry(models.Model):
    """Who opened, created, changed, exported or downloaded a patient's clinical data.

    Append-only: a database trigger refuses every UPDATE and DELETE. ``who`` keeps the
    person's name as it was, so the entry reads the same if the account changes.
    """

    class Action(models.TextChoices):
        # "who did it" verbs: their own context, apart from "created" as a field name
        VIEW = "view", pgettext_lazy("access log", "viewed")
        CREATE = "create", pgettext_lazy("access log", "created")
        CHANGE = "change", pgettext_lazy("access log", "changed")
        EXPORT = "export", pgettext_lazy("access log", "exported")
        DOWNLOAD = "download", pgettext_lazy("access log", "downloaded")

    class Area(models.TextChoices):
        FILE = "file", _("patient file")
        HISTORY = "history", _("medical history and alerts")
        VISIT = "visit", _("visit")
        ODONTOGRAM = "odontogram", _("odontogram")
        DOCUMENT = "document", _("document")
        PLAN = "plan", _("treatment plan")
        RECORD = "record", _("whole record")
        LOG = "log", _("access log")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    who = models.CharField(_("who"), max_length=200)
    role = models.CharField(_("role"), max_length=60, blank=True)
    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    area = models.CharField(_("part of the record"), max_length=12, choices=Area.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["patient", "-at"], name="records_access_patient")]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.who} · {self.get_action_display()} · {self.what}"

    @property
    def what(self) -> str:
        return f"{self.get_area_display()} · {self.detail}" if self.detail else str(self.get_area_display())
