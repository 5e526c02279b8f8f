"""Treatment plans: build, present (freeze an estimate), the patient's answer, booking the
accepted items, and invoicing an instalment.

Every change locks the plan's row first, so two staff members editing one plan, two
"Present" clicks, or the patient accepting while the dentist changes the plan are
settled one after the other: the version numbers come from the locked plan (never a
count-then-insert, PRIOR-ART #25), and the database allows one live estimate per plan.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core import signing
from django.db import connection
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.tenancy import clinic_zone, current_schema

from ..models import (
    Appointment, Estimate, EstimateInstalment, EstimateLine, Invoice, Patient, PlanItem, Practitioner, Service, TreatmentPlan,
)
from ..models.enums import TEETH, normal_surfaces
from ..models.plans import cents
from .appointments import BookAppointment
from .base import ActionError, ClinicAction, when
from .invoices import IssueInvoice, Line

MAX_PRICE = Decimal("9999999.99")
MAX_VALID_DAYS = 365
DEFAULT_VALID_DAYS = 30
MAX_MONTHS = 24
LINK_SALT = "clinic.estimate-link"


def today() -> date:
    return timezone.localdate(timezone.now(), clinic_zone())


def locked_plan(plan: TreatmentPlan) -> TreatmentPlan:
    return TreatmentPlan.objects.select_for_update().get(pk=plan.pk)


def accepted_estimate(plan: TreatmentPlan) -> Estimate | None:
    return plan.estimates.filter(status=Estimate.Status.ACCEPTED).first()


# -- building the plan --------------------------------------------------------------------

class CreatePlan(ClinicAction):
    """A new, empty plan (draft) for ``patient``."""

    permission = "clinic.add_treatmentplan"
    log_action = "clinic.plan.create"

    def __init__(self, patient: Patient, *, title: str, practitioner: Practitioner | None = None, notes: str = "", actor=None):
        super().__init__(actor=actor)
        self.patient, self.title, self.practitioner, self.notes = patient, clean_text(title, 120), practitioner, clean_text(notes, 2000)

    def perform(self) -> TreatmentPlan:
        if not self.title:
            raise ActionError(_("Give the plan a title."))
        if self.patient.archived_at:
            raise ActionError(_("This patient is archived."))
        return TreatmentPlan.objects.create(patient=self.patient, title=self.title, practitioner=self.practitioner, notes=self.notes,
                                            created_by=self.log_user)

    def log_data(self, instance):
        return {"plan": instance.number, "patient": instance.patient_id, "title": instance.title}


def clean_text(value, limit: int) -> str:
    return (value or "").replace("\x00", "").strip()[:limit]


@dataclass(frozen=True)
class ItemData:
    """What a person gives for one item (checked by :func:`check_item`)."""

    service: Service
    tooth: str = ""
    surfaces: str = ""
    practitioner: Practitioner | None = None
    priority: int = PlanItem.Priority.NORMAL
    phase: int = 1
    quantity: int = 1
    unit_price: Decimal | None = None  # None: the catalogue's price now
    discount_percent: Decimal = Decimal("0")
    description: str = ""


def check_item(data: ItemData, *, dental: bool) -> dict:
    """The item's fields, or ActionError saying what is wrong (translated)."""
    tooth = (data.tooth or "").strip()
    if tooth and (not dental or tooth not in TEETH):
        raise ActionError(_("“%(tooth)s” is not a tooth (FDI numbers 11–48 and 51–85).") % {"tooth": tooth[:10]})
    try:
        surfaces = normal_surfaces(data.surfaces)
    except ValueError:
        raise ActionError(_("Surfaces are the letters M, D, O, V and L.")) from None
    if surfaces and not tooth:
        raise ActionError(_("Choose the tooth the surfaces belong to."))
    price = data.service.price if data.unit_price is None else Decimal(data.unit_price)
    if not (Decimal("0") <= price <= MAX_PRICE):
        raise ActionError(_("Prices must be between 0 and 9,999,999.99."))
    if not (Decimal("0") <= Decimal(data.discount_percent) <= 100):
        raise ActionError(_("The discount must be between 0 and 100 %."))
    if not (1 <= int(data.quantity) <= 50) or not (1 <= int(data.phase) <= 20) or int(data.priority) not in PlanItem.Priority.values:
        raise ActionError(_("Quantity 1–50, phase 1–20 and one of the priorities, please."))
    if not data.service.active:
        raise ActionError(_("That service is no longer offered."))
    return {"service": data.service, "tooth": tooth, "surfaces": surfaces, "practitioner": data.practitioner, "priority": int(data.priority),
            "phase": int(data.phase), "quantity": int(data.quantity), "unit_price": cents(price),
            "discount_percent": Decimal(data.discount_percent).quantize(Decimal("0.01")), "description": clean_text(data.description, 200)}


class PlanChange(ClinicAction):
    """Base of every change to a plan's items: the plan locked and editable; a plan that
    was presented, answered or accepted goes back to draft and its live estimate is
    replaced (it stays as it was; presenting again makes the next version)."""

    permission = "clinic.change_treatmentplan"

    def __init__(self, plan: TreatmentPlan, *, actor=None):
        super().__init__(actor=actor)
        self.plan = plan

    def reopen(self) -> TreatmentPlan:
        plan = locked_plan(self.plan)
        if not plan.is_editable:
            raise ActionError(_("A plan that is “%(status)s” cannot be changed.") % {"status": plan.get_status_display()})
        if plan.status != TreatmentPlan.Status.DRAFT:
            plan.estimates.filter(status__in=[Estimate.Status.PRESENTED, Estimate.Status.ACCEPTED]).update(status=Estimate.Status.WITHDRAWN)
            plan.transition(TreatmentPlan.Status.DRAFT)
            plan.save(update_fields=["status"])
        self.plan = plan
        return plan


class AddPlanItem(PlanChange):
    log_action = "clinic.plan.item_add"

    def __init__(self, plan: TreatmentPlan, data: ItemData, *, dental: bool, actor=None):
        super().__init__(plan, actor=actor)
        self.data, self.dental = data, dental

    def perform(self) -> PlanItem:
        fields = check_item(self.data, dental=self.dental)
        plan = self.reopen()
        position = (plan.items.aggregate(top=Max("position"))["top"] or 0) + 1
        return PlanItem.objects.create(plan=plan, position=position, **fields)

    def log_data(self, instance):
        return {"plan": instance.plan.number, "item": instance.label, "amount": str(instance.amount)}


class ChangePlanItem(PlanChange):
    log_action = "clinic.plan.item_change"

    def __init__(self, item: PlanItem, data: ItemData, *, dental: bool, actor=None):
        super().__init__(item.plan, actor=actor)
        self.item, self.data, self.dental = item, data, dental

    def perform(self) -> PlanItem:
        fields = check_item(self.data, dental=self.dental)
        self.reopen()
        item = PlanItem.objects.select_for_update().get(pk=self.item.pk)
        if item.status != PlanItem.Status.PLANNED:
            raise ActionError(_("Only an item still to do can be changed."))
        self.before = {"item": item.label, "amount": str(item.amount)}
        for name, value in fields.items():
            setattr(item, name, value)
        item.save()
        return item

    def log_data(self, instance):
        return {"plan": instance.plan.number, "before": self.before, "after": {"item": instance.label, "amount": str(instance.amount)}}


class DropPlanItem(PlanChange):
    """Take an item out of the plan: removed when no estimate ever priced it, otherwise
    kept as "dropped" (the estimates that priced it still show it)."""

    log_action = "clinic.plan.item_drop"

    def __init__(self, item: PlanItem, *, actor=None):
        super().__init__(item.plan, actor=actor)
        self.item = item

    def perform(self) -> PlanItem:
        self.reopen()
        item = PlanItem.objects.select_for_update().get(pk=self.item.pk)
        if item.status != PlanItem.Status.PLANNED:
            raise ActionError(_("Only an item still to do can be taken out."))
        if item.appointment_id and item.appointment.status != Appointment.Status.CANCELLED:
            raise ActionError(_("Cancel the item's appointment first."))
        self.label = item.label
        if item.estimate_lines.exists():
            item.status = PlanItem.Status.DROPPED
            item.save(update_fields=["status"])
        else:
            item.delete()
        return self.plan

    def log_data(self, instance):
        return {"plan": instance.number, "item": self.label}


# -- presenting: the estimate -------------------------------------------------------------

def instalments_for(lines: list[EstimateLine], *, schedule: str, months: int) -> list[dict]:
    """The payment schedule of an estimate: amounts that add up to its total exactly."""
    total = sum((line.total for line in lines), Decimal("0"))
    if schedule == Estimate.Schedule.PHASES:
        phases = sorted({line.phase for line in lines})
        shares = [(phase, sum((line.total for line in lines if line.phase == phase), Decimal("0"))) for phase in phases]
        out = [{"on_acceptance": index == 0, "phase": None if index == 0 else phase, "amount": amount}
               for index, (phase, amount) in enumerate(shares) if amount > 0]
    elif schedule == Estimate.Schedule.MONTHLY:
        part = (total / months).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        out = [{"on_acceptance": k == 0, "months_after": k or None, "amount": part} for k in range(months)]
        if out:
            out[0]["amount"] += total - part * months  # the cents left over, paid first
        out = [entry for entry in out if entry["amount"] > 0]
    else:
        out = [{"on_acceptance": True, "amount": total}] if total > 0 else []
    if out:
        out[0]["on_acceptance"] = True
    return out


class PresentPlan(ClinicAction):
    """Freeze the plan's items into the next estimate version, valid until ``valid_until``,
    with its payment schedule; the plan waits for the patient. Side effects: one Estimate
    with its lines and instalments; the plan "waiting"; when ``send_email``, an e-mail to
    the patient with the estimate and the link to answer it (queued in this transaction)."""

    permission = "clinic.change_treatmentplan"
    log_action = "clinic.plan.present"

    def __init__(self, plan: TreatmentPlan, *, valid_until: date | None = None, schedule: str = Estimate.Schedule.FULL, months: int = 1,
                 send_email: bool = True, actor=None):
        super().__init__(actor=actor)
        self.plan, self.valid_until, self.schedule, self.months, self.send_email = plan, valid_until, schedule, months, send_email

    def perform(self) -> Estimate:
        plan = locked_plan(self.plan)
        first_day = today()
        valid_until = self.valid_until or first_day + timedelta(days=DEFAULT_VALID_DAYS)
        if not (first_day <= valid_until <= first_day + timedelta(days=MAX_VALID_DAYS)):
            raise ActionError(_("An estimate is valid from today for at most a year."))
        if self.schedule not in Estimate.Schedule.values or not (1 <= int(self.months) <= MAX_MONTHS):
            raise ActionError(_("Choose how the patient pays (monthly: 1 to 24 instalments)."))
        if plan.status != TreatmentPlan.Status.DRAFT:
            raise ActionError(_("This version has been presented already: change the plan to present a new one."))
        items = list(plan.items.filter(status__in=[PlanItem.Status.PLANNED, PlanItem.Status.DONE]).select_related("service", "practitioner__user"))
        if not any(item.status == PlanItem.Status.PLANNED for item in items):
            raise ActionError(_("Add at least one item to do before presenting the plan."))
        version = (plan.estimates.aggregate(top=Max("version"))["top"] or 0) + 1
        lines = [self.line_for(item) for item in items]
        base = sum((line.amount for line in lines), Decimal("0"))
        gross = sum((cents(line.quantity * line.unit_price) for line in lines), Decimal("0"))
        tax = sum((line.tax for line in lines), Decimal("0"))
        estimate = Estimate.objects.create(
            plan=plan, version=version, presented_by=self.log_user, valid_until=valid_until, currency=connection.tenant.currency,
            gross=gross, discount=gross - base, base=base, tax=tax, total=base + tax, schedule=self.schedule)
        for line in lines:
            line.estimate = estimate
        EstimateLine.objects.bulk_create(lines)
        EstimateInstalment.objects.bulk_create(
            EstimateInstalment(estimate=estimate, sequence=n, **entry)
            for n, entry in enumerate(instalments_for(lines, schedule=self.schedule, months=int(self.months)), start=1))
        plan.transition(TreatmentPlan.Status.PRESENTED)
        plan.save(update_fields=["status"])
        if self.send_email and plan.patient.email:
            from ..plan_emails import queue_estimate_email

            queue_estimate_email(estimate)
        return estimate

    @staticmethod
    def line_for(item: PlanItem) -> EstimateLine:
        service = item.service
        tax = (item.amount * service.tax_rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return EstimateLine(
            item=item, description=item.description or service.name, tooth=item.tooth, surfaces=item.surfaces, phase=item.phase, priority=item.priority,
            practitioner_name=item.practitioner.display_name if item.practitioner_id else "", quantity=item.quantity, unit_price=item.unit_price,
            discount_percent=item.discount_percent, amount=item.amount, tax_rate=service.tax_rate,
            tax_exemption=service.tax_exemption if not service.tax_rate else "", tax=tax)

    def log_data(self, instance):
        return {"estimate": instance.number, "total": str(instance.total), "currency": instance.currency, "valid_until": instance.valid_until.isoformat(),
                "schedule": instance.schedule}


# -- the patient's answer -----------------------------------------------------------------

def estimate_link_token(estimate: Estimate) -> str:
    """The token of the e-mailed link: signed for this clinic (the schema is in the salt,
    since one SECRET_KEY signs for every clinic), this patient and this estimate."""
    return signing.dumps({"e": estimate.pk, "p": estimate.plan.patient_id}, salt=f"{LINK_SALT}:{current_schema()}", compress=True)


def estimate_from_token(token: str) -> Estimate | None:
    """The estimate a link names, or None for a forged, foreign or malformed token."""
    try:
        data = signing.loads(token, salt=f"{LINK_SALT}:{current_schema()}", max_age=timedelta(days=MAX_VALID_DAYS + 31))
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int) or not isinstance(data.get("p"), int):
        return None
    return Estimate.objects.select_related("plan__patient").filter(pk=data["e"], plan__patient_id=data["p"]).first()


class AnswerEstimate(ClinicAction):
    """The patient accepts or rejects one estimate version: in their account (``actor`` is
    their user), by the e-mailed link (``via=LINK``: the token stood for them), or staff
    record a paper answer (``via=PAPER``, with ``clinic.change_estimate``, the signed scan
    as a document for an acceptance). Records who, when, from which IP and the version.
    Refused when the estimate was replaced, answered already or has expired."""

    log_action = "clinic.estimate.accept"

    def __init__(self, estimate: Estimate, *, accept: bool, name: str = "", via: str, ip: str | None = None, reason: str = "",
                 document=None, actor=None):
        super().__init__(actor=actor)
        self.estimate, self.accept, self.via, self.ip = estimate, accept, via, ip
        self.name, self.reason, self.document = clean_text(name, 200), clean_text(reason, 255), document
        if not accept:
            self.log_action = "clinic.estimate.reject"

    def user_has_permission(self) -> bool:
        patient = self.estimate.plan.patient
        if self.via == Estimate.Via.PAPER:
            return self.actor is not None and self.actor.is_active and self.actor.has_perm("clinic.change_estimate")
        if self.via == Estimate.Via.LINK:
            # The token stands for the patient; someone else signed in on this browser may not use it.
            return self.actor is None or not self.actor.is_authenticated or patient.user_id == self.actor.pk
        return self.actor is not None and self.actor.is_authenticated and patient.user_id is not None and patient.user_id == self.actor.pk

    def perform(self) -> Estimate:
        plan = locked_plan(self.estimate.plan)
        estimate = Estimate.objects.select_for_update().get(pk=self.estimate.pk)
        if estimate.status != Estimate.Status.PRESENTED:
            if estimate.status == Estimate.Status.WITHDRAWN:
                raise ActionError(_("This estimate has been replaced by a newer version."))
            raise ActionError(_("This estimate has been answered already."))
        if estimate.is_expired():
            raise ActionError(_("This estimate expired on %(date)s. Ask the clinic for a new one.") % {"date": estimate.valid_until.strftime("%d/%m/%Y")})
        now = timezone.now()
        if self.accept:
            if self.via != Estimate.Via.PAPER and not self.name:
                raise ActionError(_("Type your full name to accept."))
            if self.via == Estimate.Via.PAPER and self.document is None:
                raise ActionError(_("Add the scan of the signed estimate."))
            estimate.status, estimate.accepted_at, estimate.accepted_via, estimate.accepted_ip = Estimate.Status.ACCEPTED, now, self.via, self.ip
            estimate.accepted_name = self.name or str(plan.patient)
            estimate.accepted_user = plan.patient.user if self.via != Estimate.Via.PAPER else None
            estimate.recorded_by = self.log_user if self.via == Estimate.Via.PAPER else None
            estimate.acceptance_document = self.document
            plan.transition(TreatmentPlan.Status.ACCEPTED)
        else:
            estimate.status, estimate.rejected_at, estimate.rejection_reason = Estimate.Status.REJECTED, now, self.reason
            estimate.recorded_by = self.log_user if self.via == Estimate.Via.PAPER else None
            plan.transition(TreatmentPlan.Status.REJECTED)
        estimate.save()
        plan.save(update_fields=["status"])
        return estimate

    def log_data(self, instance):
        return {"estimate": instance.number, "via": self.via, "ip": self.ip or "", "name": instance.accepted_name, "total": str(instance.total),
                "at": when(instance.accepted_at or instance.rejected_at), **({"reason": self.reason} if not self.accept else {})}


class CancelPlan(ClinicAction):
    """Stop a plan: nothing more is booked from it. Its estimates, items done and payments stay."""

    permission = "clinic.change_treatmentplan"
    log_action = "clinic.plan.cancel"

    def __init__(self, plan: TreatmentPlan, *, reason: str = "", actor=None):
        super().__init__(actor=actor)
        self.plan, self.reason = plan, clean_text(reason, 255)

    def perform(self) -> TreatmentPlan:
        plan = locked_plan(self.plan)
        try:
            plan.transition(TreatmentPlan.Status.CANCELLED)
        except ValueError as error:
            raise ActionError(str(error)) from None
        plan.estimates.filter(status=Estimate.Status.PRESENTED).update(status=Estimate.Status.WITHDRAWN)
        plan.save(update_fields=["status"])
        return plan

    def log_data(self, instance):
        return {"plan": instance.number, "reason": self.reason}


# -- booking and doing the items ----------------------------------------------------------

def bookable(item: PlanItem) -> bool:
    return item.status == PlanItem.Status.PLANNED and (item.appointment_id is None or item.appointment.status == Appointment.Status.CANCELLED)


def frozen_line(item: PlanItem) -> EstimateLine | None:
    return item.estimate_lines.filter(estimate__status=Estimate.Status.ACCEPTED).first()


class BookPlanItems(ClinicAction):
    """Book accepted items, each at the time given (``[(item, start), …]``, from the
    availability engine, with the practitioner the time is free for), as desk appointments at the price
    the patient accepted. All or nothing: when one time was just taken, nothing is booked
    (SlotTaken). Side effects: the appointments (and their confirmation e-mails), the
    items linked to them."""

    permission = "clinic.add_appointment"
    log_action = "clinic.plan.book"

    def __init__(self, plan: TreatmentPlan, bookings: list[tuple[PlanItem, object, Practitioner]], *, notify: bool = True, actor=None):
        super().__init__(actor=actor)
        self.plan, self.bookings, self.notify = plan, bookings, notify

    def user_has_permission(self) -> bool:
        return super().user_has_permission() and (self.actor is None or self.actor.has_perm("clinic.view_treatmentplan"))

    def perform(self) -> TreatmentPlan:
        plan = locked_plan(self.plan)
        if plan.status != TreatmentPlan.Status.ACCEPTED:
            raise ActionError(_("Only the items of an accepted plan are booked."))
        if not self.bookings:
            raise ActionError(_("There is nothing left to book in this phase."))
        self.booked = []
        for item, start, practitioner in self.bookings:
            item = PlanItem.objects.select_for_update(of=("self",)).select_related("service", "practitioner", "appointment").get(pk=item.pk, plan=plan)
            if not bookable(item):
                raise ActionError(_("“%(item)s” is booked already.") % {"item": item.label})
            line = frozen_line(item)
            if line is None:
                raise ActionError(_("“%(item)s” is not in the accepted estimate.") % {"item": item.label})
            appointment = BookAppointment(patient=plan.patient, service=item.service, start=start, practitioner=practitioner, desk=True,
                                          price=line.amount, actor=self.actor, notify=self.notify).execute()
            item.appointment = appointment
            item.save(update_fields=["appointment"])
            self.booked.append((item.label, when(appointment.start)))
        return plan

    def log_data(self, instance):
        return {"plan": instance.number, "booked": [f"{label} · {start}" for label, start in self.booked]}


def mark_items_done(appointment: Appointment) -> int:
    """Inside CompleteAppointment's transaction: the plan items this appointment performs
    are done; a plan with nothing left to do is completed. Returns how many items."""
    now = timezone.now()
    plan_ids = set(PlanItem.objects.filter(appointment=appointment, status=PlanItem.Status.PLANNED).values_list("plan_id", flat=True))
    if not plan_ids:
        return 0
    plans = list(TreatmentPlan.objects.select_for_update().filter(pk__in=plan_ids))
    done = PlanItem.objects.filter(appointment=appointment, status=PlanItem.Status.PLANNED).update(status=PlanItem.Status.DONE, done_at=now)
    for plan in plans:
        if plan.status == TreatmentPlan.Status.ACCEPTED and not plan.items.filter(status=PlanItem.Status.PLANNED).exists():
            plan.transition(TreatmentPlan.Status.COMPLETED)
            plan.save(update_fields=["status"])
    return done


# -- money ----------------------------------------------------------------------------------

def paid_toward(instalment: EstimateInstalment) -> Decimal:
    money = instalment.payments.aggregate(paid=Sum("amount"), refunded=Sum("refunded_amount"))
    return (money["paid"] or Decimal("0")) - (money["refunded"] or Decimal("0"))


def instalment_due_date(instalment: EstimateInstalment, estimate: Estimate) -> date | None:
    """When a monthly instalment falls due (its months after the acceptance), else None."""
    if not instalment.months_after or not estimate.accepted_at:
        return None
    start = timezone.localdate(estimate.accepted_at, clinic_zone())
    month = start.month - 1 + instalment.months_after
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


class IssueInstalmentInvoice(IssueInvoice):
    """The invoice of one instalment of an accepted estimate: its share of every tax rate
    the estimate carries (so VAT and exemptions print as the estimate priced them). Once
    per instalment, unless a credit note cancelled its invoice."""

    log_action = "clinic.invoice.issue"

    def __init__(self, instalment: EstimateInstalment, *, actor=None):
        estimate = instalment.estimate
        super().__init__(estimate.plan.patient, lines=instalment_lines(instalment), actor=actor)
        self.instalment = instalment

    def perform(self) -> Invoice:
        if not Estimate.objects.filter(pk=self.instalment.estimate_id, accepted_at__isnull=False).exists():
            raise ActionError(_("Only an accepted estimate is invoiced."))
        return super().perform()

    def write(self, issuer, **extra):
        issued = Invoice.objects.filter(instalment=self.instalment, kind=Invoice.Kind.INVOICE)
        if issued.exclude(corrections__isnull=False).exists():
            raise ActionError(_("This instalment already has an invoice."))
        return super().write(issuer, instalment=self.instalment, **extra)


def instalment_lines(instalment: EstimateInstalment) -> list[Line]:
    """One invoice line per tax rate of the estimate, each the instalment's share of it;
    the shares add up to the instalment exactly (the last one takes the rounding)."""
    estimate = instalment.estimate
    groups: dict[tuple, Decimal] = {}
    for line in estimate.lines.all():
        key = (line.tax_rate, line.tax_exemption)
        groups[key] = groups.get(key, Decimal("0")) + line.total
    if not groups or estimate.total <= 0:
        return []
    out, left = [], instalment.amount
    keys = sorted(groups, key=lambda key: -groups[key])
    label = _("Treatment plan %(plan)s, estimate v%(version)s: instalment %(n)s of %(count)s") % {
        "plan": estimate.plan.number, "version": estimate.version, "n": instalment.sequence, "count": estimate.instalments.count()}
    for index, (rate, exemption) in enumerate(keys):
        gross = left if index == len(keys) - 1 else cents(instalment.amount * groups[(rate, exemption)] / estimate.total)
        left -= gross
        base = cents(gross * 100 / (100 + rate))
        # base + its tax must give the gross share back to the cent.
        while cents(base * rate / 100) + base > gross:
            base -= Decimal("0.01")
        out.append(Line(description=label, unit_price=base, tax_rate=rate, tax_exemption=exemption))
    return out


def plan_progress(items, lines: dict) -> dict:
    """Items done of those to do, and the money of the accepted estimate (``lines``, its
    lines by item id) done so far. Reads nothing: the plan page has both loaded."""
    items = [item for item in items if item.status != PlanItem.Status.DROPPED]
    done = [item for item in items if item.status == PlanItem.Status.DONE]
    value_done = sum((lines[item.pk].total for item in done if item.pk in lines), Decimal("0"))
    return {"items": len(items), "done": len(done), "percent": round(100 * len(done) / len(items)) if items else 0, "value_done": value_done}
