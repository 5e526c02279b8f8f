"""Inventory models (tenant schema): what the clinic keeps in stock, and every change to it.

Stock is a number on the supply (and on each lot, for supplies whose expiry matters), kept
by the database: CHECK constraints refuse a negative stock, and clinic.inventory.actions
changes it only with ``UPDATE … SET stock = stock + delta WHERE stock + delta >= 0``. Each
change is one ``StockMovement`` row, append-only (a trigger refuses UPDATE and DELETE, and
no role has change or delete permissions on it).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")
# Quantities: three decimals (2.5 ml, 0.25 of a box), up to a billion of anything.
QUANTITY = {"max_digits": 12, "decimal_places": 3}
MAX_QUANTITY = Decimal("999999999.999")


class SupplyCategory(models.Model):
    """Groups supplies in the lists and the stock value report (e.g. "Anestesia", "Protección")."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("supply category")
        verbose_name_plural = _("supply categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SupplyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def low(self):
        """At or under its minimum, or used in visits beyond what was in stock."""
        return self.active().filter(Q(stock__lte=F("minimum")) | Q(shortfall__gt=0))

    def with_value(self):
        return self.annotate(stock_value=ExpressionWrapper(F("stock") * F("cost_price"), output_field=DecimalField(max_digits=24, decimal_places=5)))


class Supply(models.Model):
    """Something the clinic buys and uses up. ``stock`` is never typed: it moves only
    through stock movements (receive, use, adjust, consumption in a visit)."""

    class Unit(models.TextChoices):
        # Plural labels: they follow a quantity ("10 boxes in stock").
        UNIT = "unit", _("units")
        BOX = "box", _("boxes")
        PACK = "pack", _("packs")
        PAIR = "pair", _("pairs")
        CARTRIDGE = "cartridge", _("cartridges")
        SYRINGE = "syringe", _("syringes")
        VIAL = "vial", _("vials")
        ROLL = "roll", _("rolls")
        ML = "ml", _("ml")
        GRAM = "g", _("g")

    name = models.CharField(_("name"), max_length=120, unique=True)
    category = models.ForeignKey(SupplyCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="supplies")
    unit = models.CharField(_("counted in"), max_length=12, choices=Unit.choices, default=Unit.UNIT)
    stock = models.DecimalField(_("in stock"), **QUANTITY, default=ZERO, editable=False)
    minimum = models.DecimalField(_("minimum"), **QUANTITY, default=ZERO, validators=[MinValueValidator(ZERO), MaxValueValidator(MAX_QUANTITY)],
                                  help_text=_("At or below this the supply is on the low-stock list."))
    cost_price = models.DecimalField(_("cost price"), max_digits=10, decimal_places=2, default=ZERO,
                                     validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("99999999.99"))],
                                     help_text=_("Price of one unit, for the stock value and the cost of what is used."))
    supplier = models.ForeignKey("clinic.Supplier", verbose_name=_("supplier"), null=True, blank=True, on_delete=models.PROTECT, related_name="supplies")
    location = models.CharField(_("location"), max_length=80, blank=True, help_text=_("Where it is kept, e.g. “Almacén, estante 2”."))
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive supplies keep their history but leave the lists."))
    tracks_lots = models.BooleanField(_("tracks lots and expiry"), default=False,
                                      help_text=_("For anaesthetics, vaccines, medicines: each receipt is a lot with its expiry, used earliest expiry first."))
    shortfall = models.DecimalField(_("used beyond stock"), **QUANTITY, default=ZERO, editable=False,
                                    help_text=_("Used in completed visits when nothing was left in stock; cleared by a stock count (adjustment)."))

    objects = SupplyQuerySet.as_manager()

    class Meta:
        verbose_name = _("supply")
        verbose_name_plural = _("supplies")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="inventory_supply_stock_not_negative"),
            models.CheckConstraint(condition=Q(minimum__gte=0), name="inventory_supply_minimum_not_negative"),
            models.CheckConstraint(condition=Q(cost_price__gte=0), name="inventory_supply_cost_not_negative"),
            models.CheckConstraint(condition=Q(shortfall__gte=0), name="inventory_supply_shortfall_not_negative"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_low(self) -> bool:
        return self.active and (self.stock <= self.minimum or self.shortfall > 0)

    @property
    def value(self) -> Decimal:
        return self.stock * self.cost_price


class LotQuerySet(models.QuerySet):
    def in_stock(self):
        return self.filter(quantity__gt=0, supply__active=True)

    def fefo(self):
        """First expired, first out."""
        return self.order_by("expiry", "pk")


class Lot(models.Model):
    """One receipt of a supply whose expiry matters: its code and expiry date. The supply's
    stock is the sum of its lots' quantities (the actions keep both in one transaction)."""

    supply = models.ForeignKey(Supply, verbose_name=_("supply"), on_delete=models.PROTECT, related_name="lots")
    code = models.CharField(_("lot"), max_length=60)
    expiry = models.DateField(_("expiry"))
    quantity = models.DecimalField(_("in stock"), **QUANTITY, default=ZERO, editable=False)

    objects = LotQuerySet.as_manager()

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["expiry", "pk"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["supply", "code"], name="inventory_lot_code_once_per_supply"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="inventory_lot_quantity_not_negative"),
        ]

    def __str__(self):
        return f"{self.code} ({self.expiry:%d/%m/%Y})"


class StockMovement(models.Model):
    """One change to a supply's stock, signed by its author (None only for the system) and
    never changed afterwards (trigger ``inventory_stockmovement_frozen``). ``quantity`` is
    signed (+ received, − used); ``stock_after`` is the supply's stock once it was applied.
    A consumption that found too little in stock records what was missing in ``shortfall``."""

    class Kind(models.TextChoices):
        IN = "in", _("received")
        OUT = "out", _("used")
        ADJUSTMENT = "adjustment", _("adjustment")
        CONSUMPTION = "consumption", _("used in a visit")

    supply = models.ForeignKey(Supply, verbose_name=_("supply"), on_delete=models.PROTECT, related_name="movements")
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), null=True, blank=True, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    shortfall = models.DecimalField(_("short by"), **QUANTITY, default=ZERO)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=10, decimal_places=2, default=ZERO)
    stock_after = models.DecimalField(_("stock after"), **QUANTITY)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey("clinic.Appointment", verbose_name=_("appointment"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="stock_movements")
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-pk"]
        # Read only for everyone: movements are made by the actions (custom permissions below).
        default_permissions = ("view",)
        permissions = [
            ("receive_stock", _("Can receive stock")),
            ("use_stock", _("Can record use of stock")),
            ("adjust_stock", _("Can adjust stock after a count")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="in", quantity__gt=0) | Q(kind__in=["out", "consumption"], quantity__lte=0) | (Q(kind="adjustment") & ~Q(quantity=0))),
                name="inventory_movement_sign_by_kind"),
            models.CheckConstraint(condition=~Q(kind="out", quantity=0), name="inventory_movement_out_not_zero"),
            models.CheckConstraint(condition=Q(stock_after__gte=0) & Q(shortfall__gte=0), name="inventory_movement_not_negative"),
            models.CheckConstraint(condition=~Q(kind__in=["out", "adjustment"], reason=""), name="inventory_movement_reason_required"),
            models.CheckConstraint(condition=Q(author__isnull=False) | Q(kind="consumption"), name="inventory_movement_signed"),
            models.CheckConstraint(condition=Q(kind="consumption", appointment__isnull=False) | (~Q(kind="consumption") & Q(appointment__isnull=True)),
                                   name="inventory_movement_consumption_has_appointment"),
            # A completed visit consumes each supply (each lot) once, whatever replays it.
            models.UniqueConstraint(fields=["appointment", "supply", "lot"], condition=Q(kind="consumption"), nulls_distinct=False,
                                    name="inventory_movement_consumed_once"),
        ]
        indexes = [models.Index(fields=["supply", "-created_at"], name="inventory_movement_by_supply")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity} {self.supply}"

    @property
    def cost(self) -> Decimal:
        return -self.quantity * self.unit_cost


class ServiceSupply(models.Model):
    """One line of a service's bill of materials: what a visit for that service uses up."""

    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), on_delete=models.CASCADE, related_name="bill_of_materials")
    supply = models.ForeignKey(Supply, verbose_name=_("supply"), on_delete=models.PROTECT, related_name="used_in")
    quantity = models.DecimalField(_("quantity"), **QUANTITY, validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(MAX_QUANTITY)])

    class Meta:
        verbose_name = _("supply used by a service")
        verbose_name_plural = _("bills of materials")
        ordering = ["service__name", "supply__name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "supply"], name="inventory_service_supply_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_service_supply_positive"),
        ]

    def __str__(self):
        return f"{self.service}: {self.quantity} × {self.supply}"
