import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Clinic, Domain, Plan, Signup
from .validators import normalize_tax_id, validate_clinic_slug, validate_tax_id

# Countries the product is sold in first: their default time zone and the currency
# the clinic charges its patients in.
COUNTRIES = {
    "ES": (_("Spain"), "Europe/Madrid", "EUR"),
    "MX": (_("Mexico"), "America/Mexico_City", "MXN"),
    "CO": (_("Colombia"), "America/Bogota", "COP"),
    "AR": (_("Argentina"), "America/Argentina/Buenos_Aires", "ARS"),
    "CL": (_("Chile"), "America/Santiago", "CLP"),
    "PE": (_("Peru"), "America/Lima", "PEN"),
    "US": (_("United States"), "America/New_York", "USD"),
}


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot be a new clinic's address, or None when it is free."""
    try:
        validate_clinic_slug(slug)
    except ValidationError as error:
        return error.messages[0]
    if (
        Clinic.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=f"{slug}.{settings.PLATFORM_HOST}").exists()
        or Signup.objects.open().filter(slug=slug).exists()
    ):
        return str(_("That address is already taken. Please choose another."))
    return None


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, plan):
        from theme.templatetags.theme_tags import money

        if plan.trial_days:
            return _("%(name)s — %(days)s days free") % {"name": plan.name, "days": plan.trial_days}
        return _("%(name)s — %(price)s, %(interval)s") % {"name": plan.name, "price": money(plan.price, plan.currency), "interval": plan.get_interval_display()}


LEGAL_FIELDS = ("legal_name", "tax_id", "fiscal_address")
LEGAL_LABELS = {"legal_name": _("Legal name"), "tax_id": _("Tax ID (NIF, RFC…)"), "fiscal_address": _("Fiscal address")}


class LegalDataMixin:
    """The clinic's legal data (who the platform's invoices are made out to): optional, but a
    tax ID is checked for its country (a Spanish NIF's check character; any other country's
    only for its characters), and the three go together once one is given."""

    def tax_country(self) -> str:
        raise NotImplementedError

    def setup_legal_fields(self):
        self.fields["fiscal_address"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["legal_name"].widget.attrs["autocomplete"] = "organization"
        self.fields["fiscal_address"].widget.attrs["autocomplete"] = "street-address"

    def clean_legal_data(self, cleaned):
        tax_id = normalize_tax_id(cleaned.get("tax_id") or "")
        if tax_id:
            try:
                validate_tax_id(tax_id, country=self.tax_country())
            except ValidationError as error:
                self.add_error("tax_id", error)
            cleaned["tax_id"] = tax_id
        if any(cleaned.get(name) for name in LEGAL_FIELDS):
            for name in LEGAL_FIELDS:
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("Fill in the legal name, the tax ID and the fiscal address together."))
        return cleaned


class ClinicLegalForm(LegalDataMixin, forms.ModelForm):
    """The clinic admin's own legal data, on the clinic's "Plan and billing" page."""

    class Meta:
        model = Clinic
        fields = list(LEGAL_FIELDS)
        labels = LEGAL_LABELS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_legal_fields()
        self.fields["legal_name"].help_text = _("As registered, e.g. “Clínica Dental Sonrisa S.L.”. The platform's invoices are made out to it.")

    def tax_country(self) -> str:
        return self.instance.country

    def clean(self):
        return self.clean_legal_data(super().clean())


class SignupForm(LegalDataMixin, forms.ModelForm):
    country = forms.ChoiceField(label=_("Country"), choices=[(code, name) for code, (name, _z, _c) in COUNTRIES.items()])
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[])
    plan = PlanChoiceField(label=_("Plan"), queryset=Plan.objects.filter(is_active=True), empty_label=None, widget=forms.RadioSelect)
    accept_terms = forms.BooleanField(label=_("I accept the terms of service and the data processing agreement."), required=True)

    class Meta:
        model = Signup
        fields = ["clinic_name", "practice_type", "slug", "contact_name", "email", "phone", "country", "time_zone", "plan", *LEGAL_FIELDS]
        labels = {"clinic_name": _("Clinic name"), "slug": _("Web address"), "contact_name": _("Your name"), "email": _("E-mail"), "phone": _("Phone"),
                  **LEGAL_LABELS}
        help_texts = {"email": _("You will sign in to your clinic's admin with this address."),
                      "legal_name": _("Optional: for the invoices of your plan. You can add it later under Plan and billing.")}
        widgets = {"slug": forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false", "pattern": "[a-z0-9-]{3,30}"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones()) if "/" in z]
        self.fields["time_zone"].initial = "Europe/Madrid"
        self.fields["slug"].help_text = _("Your site will be at <address>.%(domain)s — lowercase letters, digits and hyphens.") % {
            "domain": settings.PLATFORM_HOST
        }
        self.fields["slug"].validators = []  # checked in clean_slug, with the availability check
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update(autocomplete="tel", type="tel")
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["clinic_name"].widget.attrs["autocomplete"] = "organization"
        self.setup_legal_fields()

    def tax_country(self) -> str:
        return self.cleaned_data.get("country", "")

    def clean(self):
        return self.clean_legal_data(super().clean())

    def clean_slug(self):
        slug = (self.cleaned_data.get("slug") or "").strip().lower()
        problem = slug_problem(slug)
        if problem:
            raise ValidationError(problem)
        return slug

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

