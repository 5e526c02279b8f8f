from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import Patient


class PatientSignupForm(forms.Form):
    """allauth's sign-up, plus what the clinic needs to know about a patient
    (ACCOUNT_SIGNUP_FORM_CLASS: allauth calls ``signup`` after creating the user)."""

    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=120)
    phone = forms.CharField(label=_("Phone"), max_length=32, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}))
    national_id = forms.CharField(label=_("National ID (optional)"), max_length=32, required=False)
    privacy_consent = forms.BooleanField(label=_("I have read and accept the clinic's privacy notice."))

    field_order = ["first_name", "last_name", "email", "phone", "date_of_birth", "national_id", "password1", "password2", "privacy_consent"]

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value > timezone.localdate() or value.year < 1900:
            raise forms.ValidationError(_("Please enter a real date of birth."))
        return value

    def signup(self, request, user):
        from portal.mail import language_for

        from .services import register_patient

        register_patient(
            user=user, language=language_for(None, default=getattr(request, "LANGUAGE_CODE", "")),
            **{k: self.cleaned_data[k] for k in ("first_name", "last_name", "phone", "date_of_birth", "national_id")},
        )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "phone", "date_of_birth", "national_id"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "phone": forms.TextInput(attrs={"type": "tel"})}


class BookForm(forms.Form):
    pay_online = forms.TypedChoiceField(
        label=_("How would you like to pay?"), coerce=lambda v: v == "1", widget=forms.RadioSelect, initial="1",
        choices=[("1", _("Pay online now")), ("0", _("Pay at the clinic"))],
    )
