"""The service catalogue (tenant schema): what a patient can be seen for, grouped for the website."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class ServiceCategory(models.Model):
    """Groups services on the website (e.g. "Odontología general", "Ortodoncia")."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def bookable_online(self):
        return self.active().filter(online_bookable=True)


class Service(index.Indexed, models.Model):
    """Something a patient can be seen for: how long it takes, what it costs, what to pay up front."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, blank=True)
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(8 * 60)]
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"), default=0, validators=[MaxValueValidator(120)],
        help_text=_("Time kept free after the appointment for cleaning or notes."),
    )
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    deposit = models.DecimalField(
        _("deposit"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Amount paid online when booking; 0 means pay at the clinic. Cannot exceed the price."),
    )
    class PaymentPolicy(models.TextChoices):
        FULL = "full", _("prepay the full price online")
        DEPOSIT = "deposit", _("pay the deposit online")
        OPTIONAL = "optional", _("patient chooses: pay online or at the clinic")
        AT_CLINIC = "at_clinic", _("pay at the clinic")

    payment_policy = models.CharField(_("payment when booking online"), max_length=10, choices=PaymentPolicy.choices, default=PaymentPolicy.OPTIONAL)
    required_equipment = models.ManyToManyField(
        "clinic.Equipment", verbose_name=_("needs a room with"), blank=True, related_name="services",
        help_text=_("Only for clinics with rooms: the appointment gets a room that has all of these."),
    )
    # Health care is VAT-exempt in Spain (art. 20.Uno.3º Ley 37/1992); cosmetic work is not.
    tax_rate = models.DecimalField(_("VAT %"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                   validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    tax_exemption = models.CharField(_("VAT exemption printed on invoices"), max_length=200, blank=True, default="Exenta de IVA: art. 20.Uno.3º de la Ley 37/1992",
                                     help_text=_("Printed when the VAT is 0%."))
    online_bookable = models.BooleanField(_("bookable online"), default=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ServiceQuerySet.as_manager()

    search_fields = [index.SearchField("name"), index.SearchField("description"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["category__sort_order", "sort_order", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="service_duration_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative"),
            models.CheckConstraint(condition=Q(deposit__gte=0, deposit__lte=F("price")), name="service_deposit_within_price"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.price is not None and self.deposit is not None and self.deposit > self.price:
            raise ValidationError({"deposit": _("The deposit cannot be more than the price.")})

    def online_amount(self, pay_online: bool = True):
        """What a patient pays when booking online, by this service's policy."""
        policy = self.PaymentPolicy
        if self.payment_policy == policy.FULL or (self.payment_policy == policy.OPTIONAL and pay_online):
            return self.price
        if self.payment_policy == policy.DEPOSIT:
            return self.deposit
        return Decimal("0")

    def save(self, *args, **kwargs):
        if not self.slug:
            base = slugify(self.name)[:120] or "servicio"
            slug, n = base, 2
            while Service.objects.filter(slug=slug).exclude(pk=self.pk).exists():
                slug, n = f"{base}-{n}", n + 1
            self.slug = slug
        super().save(*args, **kwargs)
