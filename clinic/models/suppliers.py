"""The clinic's suppliers (tenant schema): who sells it supplies (inventory) and who bills
it costs (expenses). One table, so a supplier is typed once and both lists agree."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SupplierQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    tax_id = models.CharField(_("tax ID"), max_length=20, blank=True)
    contact = models.CharField(_("contact person"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive suppliers keep their history but are not offered for new entries."))

    objects = SupplierQuerySet.as_manager()

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self):
        return self.name
