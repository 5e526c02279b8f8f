"""What the clinic spends (tenant schema): expenses, recurring expenses, and practitioner pay.

- ``Expense``: one bill to pay (rent of a month, a lab invoice). Due on a date, paid on
  another (or not yet: overdue once its due date is before today in the clinic's zone).
- ``RecurringExpense``: the template of a bill that comes back every month, quarter or
  year. A daily job (clinic.actions.costs.generate_recurring_expenses) writes one
  ``Expense`` per period; the database's UNIQUE (recurring, period) makes that once,
  whoever runs it and however often.
- ``PayAgreement``: how a practitioner is paid from a month on: a fixed monthly amount,
  a percentage of what each completed session earned, or both.
- ``PayStatement`` (+ lines): a practitioner's month, computed from the agreement and the
  month's completed appointments; a draft until a clinic admin approves it, then frozen
  (triggers in clinic 0018: nothing of it changes or goes).

Amounts are in the clinic's currency (one per clinic); pages format them with portal.money.
"""

import calendar
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_AMOUNT = Decimal("99999999.99")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def clinic_today() -> date:
    from portal.tenancy import clinic_zone

    return timezone.localdate(timezone.now(), clinic_zone())


class ExpenseCategory(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive categories keep their expenses but are not offered for new ones."))

    class Meta:
        verbose_name = _("expense category")
        verbose_name_plural = _("expense categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class RecurringExpense(models.Model):
    """A bill that comes back: one ``Expense`` per period from ``starts_on``'s month until
    ``ends_on`` (a period counts when it starts on or before ``ends_on``), while active.

    The period of an expense is the first day of its month, quarter or year (counted from
    ``starts_on``'s month); it is due on ``due_day`` of that first month (the month's last
    day when it is shorter). ``generated_through`` is the last period written, so a
    generated expense someone deleted is not written again."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        YEARLY = "yearly", _("yearly")

    MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}

    category = models.ForeignKey(ExpenseCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="recurring_expenses")
    supplier = models.ForeignKey("clinic.Supplier", verbose_name=_("supplier"), null=True, blank=True, on_delete=models.PROTECT, related_name="recurring_expenses")
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)])
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True, help_text=_("Empty: until it is ended."))
    due_day = models.PositiveSmallIntegerField(_("due day"), default=1, validators=[MinValueValidator(1), MaxValueValidator(31)],
                                               help_text=_("Day of the month it is due (the last day in shorter months)."))
    active = models.BooleanField(_("active"), default=True)
    generated_through = models.DateField(_("generated through"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    class Meta:
        verbose_name = _("recurring expense")
        verbose_name_plural = _("recurring expenses")
        ordering = ["description"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clinic_recurringexpense_amount_positive"),
            models.CheckConstraint(condition=Q(due_day__gte=1, due_day__lte=31), name="clinic_recurringexpense_due_day"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="clinic_recurringexpense_ends_after_start",
                                   violation_error_message=_("It cannot end before it starts.")),
        ]

    def __str__(self):
        return self.description

    def periods(self, *, after: date | None, until: date) -> list[date]:
        """The periods (first days) that have begun by ``until``, later than ``after``."""
        step, out = self.MONTHS[self.Frequency(self.frequency)], []
        period = first_of_month(self.starts_on)
        while period <= until and (self.ends_on is None or period <= self.ends_on):
            if after is None or period > after:
                out.append(period)
            period = add_months(period, step)
        return out

    def due_date(self, period: date) -> date:
        return period.replace(day=min(self.due_day, calendar.monthrange(period.year, period.month)[1]))


class ExpenseQuerySet(models.QuerySet):
    def paid(self):
        return self.filter(paid_date__isnull=False)

    def unpaid(self):
        return self.filter(paid_date__isnull=True)

    def overdue(self, today: date | None = None):
        """Not paid and due before today (the clinic's today unless given)."""
        return self.unpaid().filter(due_date__lt=today or clinic_today())


class Expense(models.Model):
    """One bill. ``recurring`` and ``period`` are set when the recurring job wrote it."""

    category = models.ForeignKey(ExpenseCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="expenses")
    supplier = models.ForeignKey("clinic.Supplier", verbose_name=_("supplier"), null=True, blank=True, on_delete=models.PROTECT, related_name="expenses")
    description = models.CharField(_("description"), max_length=200)
    reference = models.CharField(_("supplier's invoice number"), max_length=60, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AMOUNT)])
    due_date = models.DateField(_("due date"))
    paid_date = models.DateField(_("paid on"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marked paid by"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", editable=False, help_text=_("Empty when the recurring-expense job wrote it."))
    recurring = models.ForeignKey(RecurringExpense, verbose_name=_("recurring expense"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="expenses", editable=False)
    period = models.DateField(_("period"), null=True, blank=True, editable=False)
    created = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)

    objects = ExpenseQuerySet.as_manager()

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-due_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="clinic_expense_amount_positive"),
            models.UniqueConstraint(fields=["recurring", "period"], name="clinic_expense_once_per_period"),
            models.CheckConstraint(condition=Q(recurring__isnull=True) | Q(period__isnull=False), name="clinic_expense_recurring_has_period"),
        ]
        indexes = [models.Index(fields=["due_date"]), models.Index(fields=["paid_date"])]

    def __str__(self):
        return self.description

    def is_overdue(self, today: date | None = None) -> bool:
        return self.paid_date is None and self.due_date < (today or clinic_today())


class PayAgreement(models.Model):
    """How a practitioner is paid from ``effective_from`` (the first of a month) on. The
    agreement for a month is the latest one that started by then: a new one replaces the
    old from its month, and the old stays for the statements it produced."""

    class Model(models.TextChoices):
        FIXED = "fixed", _("fixed monthly")
        PERCENTAGE = "percentage", _("percentage of sessions")
        BOTH = "both", _("fixed plus percentage")

    practitioner = models.ForeignKey("clinic.Practitioner", verbose_name=_("practitioner"), on_delete=models.PROTECT, related_name="pay_agreements")
    model = models.CharField(_("pay model"), max_length=10, choices=Model.choices)
    fixed_amount = models.DecimalField(_("fixed monthly amount"), max_digits=10, decimal_places=2, default=Decimal("0"),
                                       validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT)])
    percentage = models.DecimalField(_("percentage"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                     validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
                                     help_text=_("Of what each completed session earned."))
    effective_from = models.DateField(_("effective from"), help_text=_("The first day of a month."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("pay agreement")
        verbose_name_plural = _("pay agreements")
        ordering = ["practitioner", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "effective_from"], name="clinic_payagreement_one_per_month"),
            models.CheckConstraint(condition=Q(effective_from__day=1), name="clinic_payagreement_from_first_of_month",
                                   violation_error_message=_("An agreement starts on the first day of a month.")),
            models.CheckConstraint(condition=Q(fixed_amount__gte=0, percentage__gte=0, percentage__lte=100), name="clinic_payagreement_sane"),
            models.CheckConstraint(
                condition=Q(model="fixed", fixed_amount__gt=0, percentage=0) | Q(model="percentage", fixed_amount=0, percentage__gt=0)
                | Q(model="both", fixed_amount__gt=0, percentage__gt=0),
                name="clinic_payagreement_matches_model",
                violation_error_message=_("Fixed: a monthly amount and no percentage. Percentage: a percentage and no fixed amount. "
                                          "Fixed plus percentage: both."),
            ),
        ]

    def __str__(self):
        return f"{self.practitioner} · {self.get_model_display()} · {self.effective_from:%m/%Y}"

    @classmethod
    def in_force(cls, practitioner_id, month: date):
        return cls.objects.filter(practitioner_id=practitioner_id, effective_from__lte=month).order_by("-effective_from").first()


class PayStatement(models.Model):
    """A practitioner's pay for one month: the fixed part of the agreement plus its
    percentage of what each completed session earned (see clinic.actions.costs for what
    a session earned). A draft is recomputed by "generate"; approved, it is frozen."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        APPROVED = "approved", _("approved")

    practitioner = models.ForeignKey("clinic.Practitioner", verbose_name=_("practitioner"), on_delete=models.PROTECT, related_name="pay_statements")
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    agreement = models.ForeignKey(PayAgreement, verbose_name=_("pay agreement"), null=True, on_delete=models.PROTECT, related_name="statements")
    model = models.CharField(_("pay model"), max_length=10, choices=PayAgreement.Model.choices)
    percentage = models.DecimalField(_("percentage"), max_digits=5, decimal_places=2, default=Decimal("0"))
    fixed_part = models.DecimalField(_("fixed part"), max_digits=10, decimal_places=2, default=Decimal("0"))
    sessions = models.PositiveIntegerField(_("sessions"), default=0)
    earnings_base = models.DecimalField(_("sessions earned"), max_digits=12, decimal_places=2, default=Decimal("0"))
    commission = models.DecimalField(_("commission"), max_digits=12, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=Decimal("0"))
    generated_at = models.DateTimeField(_("computed"), default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("pay statement")
        verbose_name_plural = _("pay statements")
        ordering = ["-month", "practitioner"]
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "month"], name="clinic_paystatement_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="clinic_paystatement_month_first_day"),
            models.CheckConstraint(condition=Q(total=models.F("fixed_part") + models.F("commission")), name="clinic_paystatement_total"),
            models.CheckConstraint(condition=Q(status="draft") | Q(approved_at__isnull=False), name="clinic_paystatement_approved_when"),
        ]
        permissions = [
            ("approve_paystatement", _("Can approve pay statements")),
            ("view_any_paystatement", _("Can see every practitioner's pay statements")),
        ]

    def __str__(self):
        return f"{self.practitioner} · {self.month:%m/%Y}"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class PayStatementLine(models.Model):
    """One completed appointment of the month: its price, what was refunded against it,
    what it earned (the difference, never below 0) and the commission on that."""

    statement = models.ForeignKey(PayStatement, verbose_name=_("pay statement"), on_delete=models.CASCADE, related_name="lines")
    appointment = models.ForeignKey("clinic.Appointment", verbose_name=_("appointment"), on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    refunded = models.DecimalField(_("refunded"), max_digits=10, decimal_places=2, default=Decimal("0"))
    earned = models.DecimalField(_("earned"), max_digits=10, decimal_places=2)
    commission = models.DecimalField(_("commission"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("pay statement line")
        verbose_name_plural = _("pay statement lines")
        ordering = ["appointment__start"]
        constraints = [models.UniqueConstraint(fields=["statement", "appointment"], name="clinic_paystatementline_once")]
