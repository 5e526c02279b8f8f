"""Inventory reads other parts use (reports, notifications, the admin lists). No request,
no side effects; each is one or two SQL queries."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.tenancy import clinic_zone

from .models import ZERO, Lot, StockMovement, Supply



def clinic_today() -> date:
    return timezone.localdate(timezone=clinic_zone())


MONEY = DecimalField(max_digits=24, decimal_places=5)
USED = (StockMovement.Kind.CONSUMPTION, StockMovement.Kind.OUT)


def low_stock():
    """Active supplies at or under their minimum, or used in visits beyond what was in stock
    (``shortfall``), fewest in stock first."""
    return Supply.objects.low().select_related("category", "supplier").with_value().order_by("stock", "name")


def expiring(within_days: int = 60, today: date | None = None):
    """Lots still in stock that expire within ``within_days`` of ``today`` (the clinic's
    date by default), expired ones included, earliest first."""
    today = today or clinic_today()
    return Lot.objects.in_stock().filter(expiry__lte=today + timedelta(days=within_days)).select_related("supply").fefo()


def expired(today: date | None = None):
    return Lot.objects.in_stock().filter(expiry__lt=today or clinic_today()).select_related("supply").fefo()


def stock_value() -> Decimal:
    """Σ stock × cost price of the active supplies, in the clinic's currency."""
    value = Supply.objects.active().aggregate(total=Coalesce(Sum(ExpressionWrapper(F("stock") * F("cost_price"), output_field=MONEY)), Value(ZERO),
                                                             output_field=MONEY))["total"]
    return value.quantize(Decimal("0.01"))


def value_by_category() -> list[dict]:
    """``[{"category": name or None, "value": Decimal, "supplies": n}]`` of active supplies, largest value first."""
    rows = (Supply.objects.active().values(category_name=F("category__name"))
            .annotate(value=Coalesce(Sum(ExpressionWrapper(F("stock") * F("cost_price"), output_field=MONEY)), Value(ZERO), output_field=MONEY),
                      supplies=Sum(Value(1)))
            .order_by("-value", "category_name"))
    return [{"category": r["category_name"], "value": r["value"].quantize(Decimal("0.01")), "supplies": r["supplies"]} for r in rows]


def consumption(start: datetime, end: datetime) -> list[dict]:
    """What was used (in visits and otherwise) in ``[start, end)``, per supply:
    ``[{"supply": id, "name", "unit", "quantity": Decimal, "cost": Decimal, "short": Decimal}]``,
    at each movement's own unit cost, most costly first."""
    rows = (StockMovement.objects.filter(kind__in=USED, created_at__gte=start, created_at__lt=end)
            .values("supply", name=F("supply__name"), unit=F("supply__unit"))
            .annotate(used=Sum(-F("quantity")), cost=Sum(ExpressionWrapper(-F("quantity") * F("unit_cost"), output_field=MONEY)),
                      short=Sum("shortfall", filter=Q(kind=StockMovement.Kind.CONSUMPTION)))
            .order_by("-cost", "name"))
    return [{"supply": r["supply"], "name": r["name"], "unit": r["unit"], "quantity": r["used"], "cost": r["cost"].quantize(Decimal("0.01")),
             "short": r["short"] or ZERO} for r in rows]
