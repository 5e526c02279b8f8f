"""Low stock as a staff notice (clinic.notices registry): clinic admins and reception, who
order and receive supplies. Registered from InventoryConfig.ready(), because clinic never
imports inventory."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.notices import Notice, register_provider
from clinic.roles import Role

from . import queries
from .actions import quantity_text


def low_stock(viewer):
    """Each active supply at or under its minimum, or used in visits beyond its stock. One
    query. The key carries the stock, so a supply read at 5 boxes comes back unread when
    it drops further (and a delivery that lifts it over the minimum removes it)."""
    now = timezone.now()
    for supply in queries.low_stock():
        values = {"supply": supply.name, "stock": quantity_text(supply.stock), "unit": supply.get_unit_display(),
                  "minimum": quantity_text(supply.minimum)}
        if supply.shortfall > 0:
            text = _("%(supply)s: used %(short)s %(unit)s beyond the stock in visits; count it and receive more") % {
                **values, "short": quantity_text(supply.shortfall)}
        else:
            text = _("%(supply)s: %(stock)s %(unit)s in stock (minimum %(minimum)s)") % values
        yield Notice(key=f"low-stock:{supply.pk}:{supply.stock:f}:{supply.shortfall:f}", text=text,
                     url=reverse("inventory:supply", args=[supply.pk]), at=now)


def register():
    register_provider("low-stock", label=gettext_lazy("Low stock"), roles={Role.CLINIC_ADMIN, Role.RECEPTIONIST}, collect=low_stock, order=50)
