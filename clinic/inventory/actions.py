"""Every change to stock: receive, use, adjust (clinic.actions.base.ClinicAction: permission,
transaction, audit entry) and the consumption of a service's bill of materials when a visit
is completed.

How stock stays right when two people move it at once: the supply's stock changes only by
``UPDATE … SET stock = stock + delta WHERE stock + delta >= 0`` (an F expression, never a
value read before), so concurrent movements add up and one that would go below zero
updates no row and is refused with a translated ``ActionError`` naming the supply and what
is in stock; the whole action is then rolled back. The CHECK constraint ``stock >= 0`` is the
last guard. Lots (supplies whose expiry matters) are changed only after their supply's row
has been updated, so the supply's row lock orders everything that touches its lots (no
deadlock between a receipt and a use). Each change is one append-only ``StockMovement``.
"""

from decimal import Decimal, InvalidOperation

from django.db import DataError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from clinic.actions.base import ActionError, ClinicAction
from clinic.models import Appointment

from .models import MAX_QUANTITY, ZERO, Lot, ServiceSupply, StockMovement, Supply

Kind = StockMovement.Kind


def quantity_text(value) -> str:
    """``Decimal("2.500")`` → ``2,5`` in Spanish, ``2.5`` in English; ``100`` stays ``100``."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return number_format(Decimal(text))


def clean_quantity(value, *, signed=False) -> Decimal:
    """A quantity the actions accept: a finite number with at most three decimals, not zero,
    positive unless ``signed``, at most a billion. Otherwise ActionError (translated)."""
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ActionError(_("Enter a quantity, for example 2 or 2.5.")) from None
    if not quantity.is_finite() or abs(quantity) > MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.001")):
        raise ActionError(_("Enter a quantity of at most %(max)s with up to three decimals.") % {"max": quantity_text(MAX_QUANTITY)})
    if quantity == 0 or (quantity < 0 and not signed):
        raise ActionError(_("Enter a quantity greater than zero.") if not signed else _("Enter how much was found (+) or is missing (−); not zero."))
    return quantity


def not_enough(supply: Supply, stock, asked, lot: Lot | None = None) -> ActionError:
    values = {"supply": supply.name, "stock": quantity_text(stock), "unit": supply.get_unit_display(), "asked": quantity_text(asked)}
    if lot is not None:
        values["lot"] = lot.code
        return ActionError(_("Not enough “%(supply)s” in lot %(lot)s: %(stock)s %(unit)s in stock, %(asked)s asked for. Nothing was changed.") % values)
    return ActionError(_("Not enough “%(supply)s”: %(stock)s %(unit)s in stock, %(asked)s asked for. Nothing was changed.") % values)


def current_stock(supply_id) -> Decimal:
    return Supply.objects.filter(pk=supply_id).values_list("stock", flat=True).get()


def move_supply(supply: Supply, delta: Decimal) -> Decimal | None:
    """Add ``delta`` to the supply's stock unless that would make it negative. Returns the
    stock after (read back under the row lock the UPDATE holds), or None when refused."""
    try:
        with transaction.atomic():  # a savepoint: the CHECK constraint is the last guard
            updated = Supply.objects.filter(pk=supply.pk, stock__gte=-delta).update(stock=F("stock") + delta)
    except (IntegrityError, DataError):  # below zero, or beyond the column's digits
        return None
    return current_stock(supply.pk) if updated else None


def move_lot(lot: Lot, delta: Decimal) -> bool:
    try:
        with transaction.atomic():
            return bool(Lot.objects.filter(pk=lot.pk, quantity__gte=-delta).update(quantity=F("quantity") + delta))
    except (IntegrityError, DataError):
        return False


class StockAction(ClinicAction):
    """One supply, one quantity; ``perform`` returns the supply with its new stock and
    leaves the movements it wrote in ``self.movements``."""

    kind = ""

    def __init__(self, supply: Supply, *, quantity, lot: Lot | None = None, reason: str = "", actor=None):
        super().__init__(actor=actor)
        self.supply, self.lot, self.reason = supply, lot, (reason or "").strip()
        self.quantity = quantity
        self.movements: list[StockMovement] = []

    def validate(self) -> None:
        if "\x00" in self.reason or len(self.reason) > 255:
            raise ActionError(_("The reason may not contain that character and is at most 255 characters long."))
        if self.lot is not None and self.lot.supply_id != self.supply.pk:
            raise ActionError(_("That lot is not one of this supply's."))
        if not self.supply.active:
            raise ActionError(_("“%(supply)s” is inactive: make it active before moving its stock.") % {"supply": self.supply.name})

    def record(self, quantity: Decimal, stock_after: Decimal, *, lot=None, **extra) -> StockMovement:
        movement = StockMovement.objects.create(
            supply=self.supply, lot=lot, kind=self.kind, quantity=quantity, stock_after=stock_after, unit_cost=self.supply.cost_price,
            reason=self.reason, author=self.log_user, **extra)
        self.movements.append(movement)
        return movement

    def take(self, amount: Decimal) -> Supply:
        """Take ``amount`` out: from the chosen lot, or earliest expiry first; refused whole."""
        after = move_supply(self.supply, -amount)
        if after is None:
            raise not_enough(self.supply, current_stock(self.supply.pk), amount)
        if not self.supply.tracks_lots:
            self.record(-amount, after)
        elif self.lot is not None:
            if not move_lot(self.lot, -amount):
                raise not_enough(self.supply, Lot.objects.filter(pk=self.lot.pk).values_list("quantity", flat=True).get(), amount, self.lot)
            self.record(-amount, after, lot=self.lot)
        else:
            left, running = amount, after + amount
            for lot in Lot.objects.filter(supply=self.supply, quantity__gt=0).fefo():
                part = min(left, lot.quantity)
                if not move_lot(lot, -part):  # cannot happen under the supply's row lock; refuse rather than guess
                    raise not_enough(self.supply, lot.quantity, part, lot)
                running -= part
                self.record(-part, running, lot=lot)
                left -= part
                if not left:
                    break
            if left:
                raise not_enough(self.supply, amount - left, amount)
        self.supply.stock = after
        return self.supply

    def log_data(self, instance):
        return {"supply": self.supply.pk, "name": self.supply.name, "kind": self.kind, "reason": self.reason, "stock_after": str(self.supply.stock),
                "movements": [{"id": m.pk, "quantity": str(m.quantity), "lot": m.lot.code if m.lot else ""} for m in self.movements]}


class ReceiveStock(StockAction):
    """Stock arrives (a delivery). For a supply that tracks lots, the lot's code and expiry are
    required; a code already received adds to that lot (its expiry must match).
    Side effects: the supply's (and lot's) stock, one movement, an audit entry."""

    permission, log_action, kind = "inventory.receive_stock", "inventory.stock.receive", Kind.IN

    def __init__(self, supply, *, quantity, lot_code: str = "", expiry=None, reason: str = "", actor=None):
        super().__init__(supply, quantity=quantity, reason=reason, actor=actor)
        self.lot_code, self.expiry = (lot_code or "").strip(), expiry

    def perform(self) -> Supply:
        self.validate()
        quantity = clean_quantity(self.quantity)
        if self.supply.tracks_lots:
            if not self.lot_code or self.expiry is None:
                raise ActionError(_("“%(supply)s” tracks lots: enter the lot and its expiry date.") % {"supply": self.supply.name})
            if "\x00" in self.lot_code or len(self.lot_code) > 60:
                raise ActionError(_("Enter the lot as printed on the box (at most 60 characters)."))
        after = move_supply(self.supply, quantity)
        if after is None:
            raise ActionError(_("“%(supply)s” cannot hold that much stock.") % {"supply": self.supply.name})
        lot = None
        if self.supply.tracks_lots:
            lot, _created = Lot.objects.get_or_create(supply=self.supply, code=self.lot_code, defaults={"expiry": self.expiry})
            if lot.expiry != self.expiry:
                raise ActionError(_("Lot %(lot)s of “%(supply)s” was received before with expiry %(expiry)s. Check the date or the lot.") % {
                    "lot": lot.code, "supply": self.supply.name, "expiry": lot.expiry.strftime("%d/%m/%Y")})
            if not move_lot(lot, quantity):
                raise ActionError(_("“%(supply)s” cannot hold that much stock.") % {"supply": self.supply.name})
        self.record(quantity, after, lot=lot)
        self.supply.stock = after
        return self.supply


class UseStock(StockAction):
    """Stock used outside a visit's bill of materials (broken, given out, used in a
    procedure with no bill). A reason is required. Refused whole when there is not enough.
    Side effects: the supply's (and lots') stock, one movement per lot, an audit entry."""

    permission, log_action, kind = "inventory.use_stock", "inventory.stock.use", Kind.OUT

    def perform(self) -> Supply:
        self.validate()
        quantity = clean_quantity(self.quantity)
        if not self.reason:
            raise ActionError(_("Say what it was used for."))
        return self.take(quantity)


class AdjustStock(StockAction):
    """A stock count: what was found (+) or is missing (−), with the reason. For a supply
    that tracks lots, the lot counted is required. Clears what visits used beyond stock
    (the count is the truth now). Side effects: stock, one movement, an audit entry."""

    permission, log_action, kind = "inventory.adjust_stock", "inventory.stock.adjust", Kind.ADJUSTMENT

    def perform(self) -> Supply:
        self.validate()
        delta = clean_quantity(self.quantity, signed=True)
        if not self.reason:
            raise ActionError(_("Say why the stock is adjusted (for example “count of 1 March”)."))
        if self.supply.tracks_lots and self.lot is None:
            raise ActionError(_("“%(supply)s” tracks lots: choose the lot you counted.") % {"supply": self.supply.name})
        if delta < 0:
            self.take(-delta)  # recorded as this action's kind: an adjustment
        else:
            after = move_supply(self.supply, delta)
            if after is None:
                raise ActionError(_("“%(supply)s” cannot hold that much stock.") % {"supply": self.supply.name})
            if self.lot is not None and not move_lot(self.lot, delta):
                raise ActionError(_("“%(supply)s” cannot hold that much stock.") % {"supply": self.supply.name})
            self.record(delta, after, lot=self.lot)
            self.supply.stock = after
        Supply.objects.filter(pk=self.supply.pk).update(shortfall=ZERO)
        self.supply.shortfall = ZERO
        return self.supply


class ConsumeForAppointment(ClinicAction):
    """What a completed visit used, from its service's bill of materials: called inside
    CompleteAppointment's transaction (the ``appointment_completed`` signal), so the visit
    and its consumption commit together. Never refuses: when a supply is short, what is
    there is consumed and the rest is recorded as the movement's ``shortfall`` and on the
    supply (it then shows on the low-stock list until a count clears it). Exactly once per
    appointment: the appointment's row lock and a check, and the database's unique
    (appointment, supply, lot) for consumption movements behind them. Lots are used
    earliest expiry first. Side effects: stock, movements, an audit entry on the appointment.
    """

    log_action = "inventory.stock.consume"

    def __init__(self, appointment: Appointment, *, actor=None):
        super().__init__(actor=actor)
        self.appointment = appointment
        self.movements: list[StockMovement] = []

    def user_has_permission(self) -> bool:
        return True  # a consequence of completing the visit, which checked its own permission

    def perform(self) -> Appointment:
        appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=self.appointment.pk)
        if appointment.status != Appointment.Status.COMPLETED or StockMovement.objects.filter(appointment=appointment, kind=Kind.CONSUMPTION).exists():
            return appointment
        lines = ServiceSupply.objects.filter(service_id=appointment.service_id, supply__active=True).select_related("supply").order_by("supply_id")
        for line in lines:
            self.consume(appointment, line.supply, line.quantity)
        return appointment

    def consume(self, appointment, supply: Supply, need: Decimal) -> None:
        stock = Supply.objects.select_for_update().filter(pk=supply.pk).values_list("stock", flat=True).get()
        taken = min(stock, need)
        short = need - taken
        if taken:
            move_supply(supply, -taken)  # cannot be refused: the row is locked and taken <= stock
        if short:
            Supply.objects.filter(pk=supply.pk).update(shortfall=F("shortfall") + short)
        parts, left = [], taken
        if supply.tracks_lots:
            for lot in Lot.objects.filter(supply=supply, quantity__gt=0).fefo():
                if not left:
                    break
                part = min(left, lot.quantity)
                move_lot(lot, -part)
                parts.append((lot, part))
                left -= part
        if left or not parts:
            parts.append((None, left))  # untracked stock, or nothing at all (the shortfall's record)
        running = stock
        for n, (lot, part) in enumerate(parts):
            running -= part
            self.movements.append(StockMovement.objects.create(
                supply=supply, lot=lot, kind=Kind.CONSUMPTION, quantity=-part, shortfall=short if n == len(parts) - 1 else ZERO, stock_after=running,
                unit_cost=supply.cost_price, appointment=appointment, author=self.log_user,
                created_at=appointment.completed_at or timezone.now()))

    def write_log(self, instance, action=None, data=None):
        if self.movements:
            super().write_log(instance, action, data)

    def log_data(self, instance):
        return {"appointment": instance.pk, "movements": [
            {"id": m.pk, "supply": m.supply_id, "name": m.supply.name, "quantity": str(m.quantity), "short": str(m.shortfall),
             "lot": m.lot.code if m.lot else ""} for m in self.movements]}


def consume_for_appointment(appointment, *, actor=None) -> list[StockMovement]:
    """The ``appointment_completed`` receiver's work (clinic/inventory/apps.py); returns the
    movements written (none on a replay)."""
    action = ConsumeForAppointment(appointment, actor=actor)
    try:
        with transaction.atomic():
            action.execute()
    except IntegrityError:  # the database's consumed-once guard: another run got there first
        return []
    return action.movements


class SaveSupply(ClinicAction):
    """A supply's details from the admin form (its stock is never in the form: it moves only
    through movements). Side effects: the supply row, an audit entry with what changed."""

    def __init__(self, form, *, actor=None):
        super().__init__(actor=actor)
        self.form = form
        self.adding = form.instance.pk is None
        self.permission = "inventory.add_supply" if self.adding else "inventory.change_supply"
        self.log_action = "inventory.supply.create" if self.adding else "inventory.supply.change"

    def perform(self) -> Supply:
        return self.form.save()

    def log_data(self, instance):
        return {"supply": instance.pk, "name": instance.name, "changed": sorted(self.form.changed_data)}


class SaveBillOfMaterials(ClinicAction):
    """A service's bill of materials, whole: ``lines`` is ``[(supply, quantity)]``, each
    supply once. Lines not given are removed. Visits completed later consume the new bill;
    those already completed keep what they consumed. Side effects: ServiceSupply rows, an
    audit entry on the service with the bill before and after."""

    permission, log_action = "inventory.change_servicesupply", "inventory.bom.save"

    def __init__(self, service, lines, *, actor=None):
        super().__init__(actor=actor)
        self.service, self.lines = service, list(lines)

    def perform(self):
        supplies = [supply.pk for supply, _quantity in self.lines]
        if len(supplies) != len(set(supplies)):
            raise ActionError(_("Each supply may appear only once in a bill of materials."))
        self.before = {line.supply_id: str(line.quantity) for line in ServiceSupply.objects.filter(service=self.service)}
        ServiceSupply.objects.filter(service=self.service).exclude(supply_id__in=supplies).delete()
        for supply, quantity in self.lines:
            ServiceSupply.objects.update_or_create(service=self.service, supply=supply, defaults={"quantity": clean_quantity(quantity)})
        return self.service

    def log_data(self, instance):
        return {"service": instance.pk, "before": self.before, "after": {supply.pk: str(quantity) for supply, quantity in self.lines}}
