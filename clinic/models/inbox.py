"""The website's contact inbox (tenant schema)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ContactMessage(models.Model):
    """A message sent from the website's contact form. Kept even if the e-mail to the clinic fails."""

    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    message = models.TextField(_("message"), max_length=4000)
    created = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    emailed_at = models.DateTimeField(_("e-mailed to the clinic"), null=True, blank=True, editable=False)
    handled = models.BooleanField(_("handled"), default=False)

    class Meta:
        verbose_name = _("contact message")
        verbose_name_plural = _("contact messages")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.name} <{self.email}>"
