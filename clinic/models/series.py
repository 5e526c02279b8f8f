"""Recurring appointments (tenant schema): the same patient, practitioner, service and
wall-clock time every one or two weeks, N times. Each date is an ordinary Appointment
linked to its series; a date that clashes is simply not booked."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppointmentSeries(models.Model):
    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="series")
    practitioner = models.ForeignKey("clinic.Practitioner", verbose_name=_("practitioner"), on_delete=models.PROTECT, related_name="series")
    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), on_delete=models.PROTECT, related_name="series")
    first_start = models.DateTimeField(_("first appointment"))
    interval_weeks = models.PositiveSmallIntegerField(_("every (weeks)"), validators=[MinValueValidator(1), MaxValueValidator(2)])
    count = models.PositiveSmallIntegerField(_("times"), validators=[MinValueValidator(2), MaxValueValidator(52)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(_("booked"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("appointment series")
        verbose_name_plural = _("appointment series")
        constraints = [
            models.CheckConstraint(condition=Q(interval_weeks__gte=1, interval_weeks__lte=2, count__gte=2, count__lte=52), name="clinic_series_sane"),
        ]

    def __str__(self):
        return f"{self.service} · {self.patient} · {self.count}×"
