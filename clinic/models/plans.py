"""Treatment plans and the priced estimates (presupuestos) patients accept (tenant schema).

A plan is built from the service catalogue, item by item (a service, the tooth and
surfaces it concerns, the practitioner, priority and phase, a price that may be
discounted). Presenting it freezes an ``Estimate``: a numbered version with its own
copy of every line, price and tax and a payment schedule, valid until a date. Later
catalogue changes never touch it (database triggers refuse changing its lines and
amounts, migration clinic 0015), and changing the plan afterwards makes a new version.
The patient accepts exactly one version (online, by an e-mailed link, or on paper);
accepted items are booked as appointments and marked done when the appointment that
performs them is completed.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


class TreatmentPlan(models.Model):
    """What the dentist (or doctor) proposes to a patient, to be done over several visits."""

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PRESENTED = "presented", _("waiting for the patient")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    # Changing a presented, rejected or accepted plan takes it back to draft: its estimate
    # stays as it was, and presenting it again makes the next version.
    TRANSITIONS = {
        Status.DRAFT: {Status.PRESENTED, Status.CANCELLED},
        Status.PRESENTED: {Status.ACCEPTED, Status.REJECTED, Status.DRAFT, Status.CANCELLED},
        Status.ACCEPTED: {Status.COMPLETED, Status.DRAFT, Status.CANCELLED},
        Status.REJECTED: {Status.DRAFT, Status.CANCELLED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    }
    EDITABLE = (Status.DRAFT, Status.PRESENTED, Status.REJECTED, Status.ACCEPTED)

    patient = models.ForeignKey("clinic.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="plans")
    title = models.CharField(_("title"), max_length=120)
    practitioner = models.ForeignKey("clinic.Practitioner", verbose_name=_("practitioner in charge"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="plans")
    notes = models.TextField(_("notes for the patient"), blank=True, max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("treatment plan")
        verbose_name_plural = _("treatment plans")
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.number} · {self.title}"

    @property
    def number(self) -> str:
        return f"P-{self.pk:05d}"

    def refusal(self, to: str) -> str:
        if self.Status(to) not in self.TRANSITIONS[self.Status(self.status)]:
            return _("A plan that is “%(current)s” cannot become “%(new)s”.") % {"current": self.get_status_display(), "new": self.Status(to).label}
        return ""

    def transition(self, to: str) -> None:
        """Move to ``to`` by the table, or raise ValueError with the translated reason (not saved)."""
        refusal = self.refusal(to)
        if refusal:
            raise ValueError(refusal)
        self.status = self.Status(to)

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE


class PlanItem(models.Model):
    """One thing to do: a service, where (tooth and surfaces), by whom, when (phase), at what price."""

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PLANNED = "planned", _("to do")
        DONE = "done", _("done")
        DROPPED = "dropped", _("dropped")

    class Priority(models.IntegerChoices):
        URGENT = 1, _("urgent")
        HIGH = 2, _("high")
        NORMAL = 3, _("normal")
        ELECTIVE = 4, _("elective")

    plan = models.ForeignKey(TreatmentPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="items")
    service = models.ForeignKey("clinic.Service", verbose_name=_("service"), on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=200, blank=True, help_text=_("Empty: the service's name."))
    tooth = models.CharField(_("tooth"), max_length=2, blank=True, help_text=_("FDI number, e.g. 16."))
    surfaces = models.CharField(_("surfaces"), max_length=5, blank=True)
    practitioner = models.ForeignKey("clinic.Practitioner", verbose_name=_("practitioner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    phase = models.PositiveSmallIntegerField(_("phase"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)])
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1), MaxValueValidator(50)])
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                           validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PLANNED)
    appointment = models.ForeignKey("clinic.Appointment", verbose_name=_("appointment"), null=True, blank=True, on_delete=models.SET_NULL, related_name="plan_items")
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["phase", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0, discount_percent__gte=0, discount_percent__lte=100, quantity__gte=1, phase__gte=1),
                                   name="clinic_planitem_sane"),
            models.CheckConstraint(condition=~Q(status="done") | Q(done_at__isnull=False), name="clinic_planitem_done_when"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        where = f" · {self.tooth}{' ' + self.surfaces if self.surfaces else ''}" if self.tooth else ""
        return f"{self.description or self.service.name}{where}"

    @property
    def gross(self) -> Decimal:
        return cents(self.quantity * self.unit_price)

    @property
    def amount(self) -> Decimal:
        """The price after the discount, before tax."""
        return cents(self.gross * (100 - self.discount_percent) / 100)


class Estimate(models.Model):
    """One presented version of a plan, frozen: what the patient is asked to accept.

    Its lines, amounts and schedule never change (triggers in clinic 0015); only its
    status and the record of the patient's answer are written afterwards.
    """

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PRESENTED = "presented", _("waiting for the patient")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("replaced by a new version")

    class Via(models.TextChoices):
        PORTAL = "portal", _("in the patient's account")
        LINK = "link", _("by the e-mailed link")
        PAPER = "paper", _("signed on paper")

    class Schedule(models.TextChoices):
        FULL = "full", _("all on acceptance")
        PHASES = "phases", _("each phase before it starts")
        MONTHLY = "monthly", _("in monthly instalments")

    plan = models.ForeignKey(TreatmentPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="estimates")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PRESENTED)
    presented_at = models.DateTimeField(_("presented"), default=timezone.now)
    presented_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("presented by"), null=True, on_delete=models.PROTECT, related_name="+")
    valid_until = models.DateField(_("valid until"))
    currency = models.CharField(_("currency"), max_length=3)
    gross = models.DecimalField(_("before discounts"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(_("discounts"), max_digits=12, decimal_places=2)
    base = models.DecimalField(_("taxable base"), max_digits=12, decimal_places=2)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    schedule = models.CharField(_("payment"), max_length=8, choices=Schedule.choices, default=Schedule.FULL)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_name = models.CharField(_("accepted by (name given)"), max_length=200, blank=True)
    accepted_ip = models.GenericIPAddressField(_("from IP"), null=True, blank=True)
    accepted_via = models.CharField(_("accepted"), max_length=6, choices=Via.choices, blank=True)
    accepted_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("patient's account"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    help_text=_("The staff member who recorded a paper acceptance or rejection."))
    acceptance_document = models.ForeignKey("records.ClinicalDocument", verbose_name=_("signed estimate"), null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    rejected_at = models.DateTimeField(_("rejected"), null=True, blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("estimate")
        verbose_name_plural = _("estimates")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="clinic_estimate_version_once"),
            # At most one version of a plan is live (waiting or accepted) at a time.
            models.UniqueConstraint(fields=["plan"], condition=Q(status__in=["presented", "accepted"]), name="clinic_estimate_one_live_per_plan"),
            models.CheckConstraint(condition=Q(total__gte=0, base__gte=0, tax__gte=0), name="clinic_estimate_amounts_not_negative"),
            models.CheckConstraint(condition=~Q(status="accepted") | Q(accepted_at__isnull=False, accepted_via__gt=""), name="clinic_estimate_acceptance_recorded"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"{self.plan.number}-v{self.version}"

    def is_expired(self, today=None) -> bool:
        from portal.tenancy import clinic_zone

        today = today or timezone.localdate(timezone.now(), clinic_zone())
        return self.status == self.Status.PRESENTED and self.valid_until < today

    @property
    def is_open(self) -> bool:
        """The patient can still answer it."""
        return self.status == self.Status.PRESENTED and not self.is_expired()


class EstimateLine(models.Model):
    """An item of the plan as it was priced in one estimate (never changed afterwards)."""

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    estimate = models.ForeignKey(Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(PlanItem, verbose_name=_("plan item"), on_delete=models.PROTECT, related_name="estimate_lines")
    description = models.CharField(_("description"), max_length=200)
    tooth = models.CharField(_("tooth"), max_length=2, blank=True)
    surfaces = models.CharField(_("surfaces"), max_length=5, blank=True)
    phase = models.PositiveSmallIntegerField(_("phase"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=PlanItem.Priority.choices)
    practitioner_name = models.CharField(_("practitioner"), max_length=200, blank=True)
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(_("VAT %"), max_digits=5, decimal_places=2)
    tax_exemption = models.CharField(_("exemption"), max_length=200, blank=True)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("estimate line")
        verbose_name_plural = _("estimate lines")
        ordering = ["phase", "pk"]

    def __str__(self):
        return self.description

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax

    @property
    def where(self) -> str:
        return f"{self.tooth}{' ' + self.surfaces if self.surfaces else ''}" if self.tooth else ""


class EstimateInstalment(models.Model):
    """What the patient pays when, as the estimate says: on acceptance, before a phase
    starts, or a number of months after acceptance. The amounts add up to the estimate's
    total; what was paid toward one is in its ``payments`` (clinic.PatientPayment)."""

    # Clinic records, not content: Wagtail's reference index (which object uses which) only slowed every save.
    wagtail_reference_index_ignore = True

    estimate = models.ForeignKey(Estimate, verbose_name=_("estimate"), on_delete=models.PROTECT, related_name="instalments")
    sequence = models.PositiveSmallIntegerField(_("number"))
    on_acceptance = models.BooleanField(_("due on acceptance"), default=False)
    phase = models.PositiveSmallIntegerField(_("before phase"), null=True, blank=True)
    months_after = models.PositiveSmallIntegerField(_("months after acceptance"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["sequence"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "sequence"], name="clinic_instalment_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="clinic_instalment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.estimate.number} · {self.sequence}"

    @property
    def when(self) -> str:
        from django.utils.translation import ngettext

        if self.on_acceptance:
            return _("on acceptance")
        if self.phase:
            return _("before phase %(phase)s starts") % {"phase": self.phase}
        return ngettext("%(months)s month after acceptance", "%(months)s months after acceptance", self.months_after or 0) % {"months": self.months_after}
