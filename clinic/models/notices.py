"""Staff notifications (tenant schema): only what each person did with them.

The notices themselves are not stored: providers compute them from the live data
(clinic.notices), so one disappears by itself once it is resolved (the appointment
confirmed, the invoice paid). What is stored is per user: which notice keys they have
read, whether they want the daily summary, and which days' summary they were sent.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeRead(models.Model):
    """One user has read one notice (its stable key, e.g. ``invoice-overdue:42``).

    Another user still sees it unread. Rows of notices that no longer exist are pruned
    by the daily summary job (clinic.notices.prune_reads)."""

    wagtail_reference_index_ignore = True

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("notice"), max_length=120)
    read_at = models.DateTimeField(_("read"), default=timezone.now)

    class Meta:
        verbose_name = _("notice read")
        verbose_name_plural = _("notices read")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="clinic_noticeread_once_per_user")]

    def __str__(self):
        return self.key


class NoticePreference(models.Model):
    """A staff member's choice about the daily summary e-mail (clinic admins get it
    unless they opt out; no row means the default, on)."""

    wagtail_reference_index_ignore = True

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notice_preference")
    daily_summary = models.BooleanField(_("daily summary e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)


class NoticeSummarySent(models.Model):
    """The daily summary of ``day`` (the clinic's date) was sent to ``user``: the unique
    constraint is the claim, so two workers or a retried job never send it twice."""

    wagtail_reference_index_ignore = True

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    notices = models.PositiveIntegerField(_("notices"), default=0)

    class Meta:
        verbose_name = _("daily summary sent")
        verbose_name_plural = _("daily summaries sent")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="clinic_noticesummary_once_per_user_and_day")]

    def __str__(self):
        return f"{self.user} · {self.day}"
