"""People of a clinic (tenant schema): its practitioners (staff users) and its patients."""

from contextlib import contextmanager

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PractitionerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Practitioner(models.Model):
    """A clinician patients can book; a staff user of this clinic."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="practitioner")
    title = models.CharField(_("title"), max_length=20, blank=True, help_text=_("Shown before the name, e.g. “Dra.”"))
    specialty = models.CharField(_("specialty"), max_length=120, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=40, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("photo"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    services = models.ManyToManyField("clinic.Service", verbose_name=_("services offered"), blank=True, related_name="practitioners")
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive practitioners are hidden from the website and booking."))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = PractitionerQuerySet.as_manager()

    class Meta:
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        ordering = ["sort_order", "user__last_name", "user__first_name"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.user.get_full_name() or self.user.email
        return f"{self.title} {name}".strip()

    @property
    def initials(self) -> str:
        parts = [self.user.first_name, self.user.last_name]
        letters = "".join(p.strip()[0] for p in parts if p and p.strip())
        return (letters or self.user.email[:1]).upper()



ACCENTS, PLAIN = "áàäâéèëêíìïîóòöôúùüûñç", "aaaaeeeeiiiioooouuuunc"
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def plain(text: str) -> str:
    """Lower case without accents: "López" and "lopez" are the same name at the desk."""
    return (text or "").lower().translate(str.maketrans(ACCENTS, PLAIN)).strip()


def digits(text: str) -> str:
    """A phone number's digits without a Spanish or Mexican country prefix."""
    number = "".join(c for c in (text or "") if c.isdigit())
    for prefix in ("0034", "34", "0052", "52"):
        if number.startswith(prefix) and len(number) - len(prefix) >= 9:
            return number[len(prefix):]
    return number


def search_terms(query: str) -> str:
    """The directory's query as a PostgreSQL tsquery of word prefixes, or "" for nothing to
    look for. Only letters and digits reach the tsquery, so no input can break its syntax.

    A date (12/03/1985) looks for the date of birth; a phone number typed with spaces or a
    prefix (+34 612 34 56 78) for its digits; anything else for every word as the start of
    a name, an e-mail's user part or a national ID (the trigger in migration clinic 0011
    writes the same forms into ``search_document``)."""
    import re
    from datetime import datetime

    query = (query or "").replace("\x00", "").strip()[:120]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(query, fmt).strftime("%d%m%Y")
        except ValueError:
            continue
    if re.fullmatch(r"[+\d\s().-]{6,}", query) and len(digits(query)) >= 6:
        return f"{digits(query)}:*"
    words = re.findall(r"[a-z0-9]+", plain(query.split("@")[0] if "@" in query else query))[:8]
    terms = " & ".join(f"{w}:*" for w in words)
    if len(words) > 1 and not re.search(r"\s", query):  # 12345678-Z: also as one token, the way IDs are stored
        terms = f"({terms}) | {''.join(words)}:*"
    return terms


PHOTO_MAX_BYTES = 5 * 1024 * 1024


def validate_photo(upload):
    """A patient's photo: a PNG or JPEG by its content (not its name), at most 5 MB."""
    from django.core.exceptions import ValidationError

    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("The photo is larger than 5 MB."), code="size")
    name = upload.name.lower()
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not ((name.endswith(".png") and head.startswith(b"\x89PNG\r\n\x1a\n")) or (name.endswith((".jpg", ".jpeg")) and head.startswith(b"\xff\xd8\xff"))):
        raise ValidationError(_("The photo must be a PNG or JPEG image."), code="type")


@contextmanager
def search_index_preferred():
    """Run the directory's search queries with sequential scans discouraged.

    PostgreSQL has no statistics for prefix matches on a tsvector (``lopez:*``) and
    estimates a fixed 1 in 50 rows, so over tens of thousands of patients it picks a
    sequential scan that re-checks every row's document: 17 ms measured against 5 ms
    through the GIN index, and 13 ms against 2.5 ms for a phone number
    (benchmarks/bench_records.py). ``SET LOCAL`` lasts until the end of this block's
    transaction only."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        yield


class PatientQuerySet(models.QuerySet):
    def current(self):
        """Patients in daily use: not archived (an archived record is kept, not shown)."""
        return self.filter(archived_at__isnull=True)

    def search(self, query: str):
        """Patients matching ``query`` by name (any order, word starts, accents and case
        ignored), phone (any format, its end), e-mail, national ID or date of birth.
        Uses the GIN index on ``search_document``: a few ms over 50,000 patients."""
        from django.contrib.postgres.search import SearchQuery

        terms = search_terms(query)
        if not terms:
            return self.none()
        return self.filter(search_document=SearchQuery(terms, search_type="raw", config="simple"))


class Patient(models.Model):
    """A person the clinic sees. Linked to the patient's own account when they have one.

    Never deleted: "delete" archives the record (clinic.records keeps clinical records at
    least five years after the last visit, Ley 41/2002 art. 17). ``search_document`` is
    kept by a database trigger (migration clinic 0011) for the directory's search.
    """

    class Alert(models.TextChoices):
        ALLERGY = "allergy", _("allergies")
        ANTICOAGULANTS = "anticoagulants", _("anticoagulants")
        PREGNANCY = "pregnancy", _("pregnancy")
        DIABETES = "diabetes", _("diabetes")
        HEART = "heart", _("heart condition")
        BISPHOSPHONATES = "bisphosphonates", _("bisphosphonates")
        INFECTIOUS = "infectious", _("infectious disease")
        LATEX = "latex", _("latex allergy")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True, on_delete=models.SET_NULL, related_name="patient")
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    national_id = models.CharField(_("national ID"), max_length=32, blank=True)
    privacy_consent_at = models.DateTimeField(_("privacy notice accepted"), null=True, blank=True)
    stripe_customer = models.CharField(_("Stripe customer"), max_length=255, blank=True, editable=False)
    saved_card = models.CharField(_("saved card"), max_length=255, blank=True, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # Shown wherever the patient appears (agenda, desk, file), to every staff role.
    alerts = ArrayField(models.CharField(max_length=20, choices=Alert.choices), verbose_name=_("alerts"), default=list, blank=True)
    alert_note = models.CharField(_("alert details"), max_length=200, blank=True, help_text=_("For example: penicillin, latex, 2nd trimester."))
    photo = models.FileField(_("photo"), upload_to="patients/photos/", blank=True, validators=[validate_photo])  # private storage (portal.storage)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False)
    search_document = SearchVectorField(null=True, editable=False)

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["last_name", "first_name"]
        permissions = [("merge_patient", _("Can merge duplicate patients"))]
        indexes = [GinIndex(fields=["search_document"], name="clinic_patient_search")]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def alert_labels(self) -> list[str]:
        labels = dict(self.Alert.choices)
        return [str(labels.get(a, a)) for a in self.alerts]
