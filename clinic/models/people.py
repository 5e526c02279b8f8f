"""People of a clinic (tenant schema): its practitioners (staff users) and its patients."""

from django.conf import settings
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



class Patient(models.Model):
    """A person the clinic sees. Linked to the patient's own account when they have one."""

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

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()
