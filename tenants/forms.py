import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Clinic, Domain, Plan, Signup
from .validators import validate_clinic_slug

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


class SignupForm(forms.ModelForm):
    country = forms.ChoiceField(label=_("Country"), choices=[(code, name) for code, (name, _z, _c) in COUNTRIES.items()])
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[])
    plan = PlanChoiceField(label=_("Plan"), queryset=Plan.objects.filter(is_active=True), empty_label=None, widget=forms.RadioSelect)
    accept_terms = forms.BooleanField(label=_("I accept the terms of service and the data processing agreement."), required=True)

    class Meta:
        model = Signup
        fields = ["clinic_name", "practice_type", "slug", "contact_name", "email", "phone", "country", "time_zone", "plan"]
        labels = {"clinic_name": _("Clinic name"), "slug": _("Web address"), "contact_name": _("Your name"), "email": _("E-mail"), "phone": _("Phone")}
        help_texts = {"email": _("You will sign in to your clinic's admin with this address.")}
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

    def clean_slug(self):
        slug = (self.cleaned_data.get("slug") or "").strip().lower()
        problem = slug_problem(slug)
        if problem:
            raise ValidationError(problem)
        return slug

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

