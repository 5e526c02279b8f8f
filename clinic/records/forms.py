"""Forms of the patient file (staff). Every text field refuses NUL bytes (a translated
error, not a database 500); the actions do the writing."""

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from clinic.models import Patient

from .models import ClinicalDocument, MedicalHistory, Visit
from .odontogram import NOTE_MAX, TEETH, Surface, SurfaceState, ToothState


class NoNulMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not any(isinstance(v, ProhibitNullCharactersValidator) for v in field.validators):
                field.validators.append(ProhibitNullCharactersValidator())


class HistoryForm(NoNulMixin, forms.ModelForm):
    alerts = forms.MultipleChoiceField(label=_("Alerts"), choices=Patient.Alert.choices, required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text=_("Shown to every staff member wherever the patient appears, the agenda included."))
    alert_note = forms.CharField(label=_("Alert details"), max_length=200, required=False)

    class Meta:
        model = MedicalHistory
        fields = ["conditions", "allergies", "medication", "blood_group", "habits"]
        widgets = {f: forms.Textarea(attrs={"rows": 3}) for f in ("conditions", "allergies", "medication", "habits")}


class VisitForm(NoNulMixin, forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["date", "reason", "findings", "diagnosis", "diagnosis_code", "procedure", "prescriptions", "private_note"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{f: forms.Textarea(attrs={"rows": 3}) for f in ("findings", "diagnosis", "procedure", "prescriptions", "private_note")},
        }


class AddendumForm(NoNulMixin, forms.Form):
    text = forms.CharField(label=_("Addendum"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class DocumentForm(NoNulMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ClinicalDocument.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    file = forms.FileField(label=_("File"), help_text=_("PDF, PNG or JPEG."))
    visit = forms.ModelChoiceField(label=_("Visit"), queryset=Visit.objects.none(), required=False)
    shared_with_patient = forms.BooleanField(label=_("Share with the patient"), required=False,
                                             help_text=_("The patient sees and downloads it in their account."))
    administrative = forms.BooleanField(label=_("Administrative"), required=False,
                                        help_text=_("Reception may see it (consent forms and the like). Not for clinical content."))

    def __init__(self, *args, patient, clinical: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit"].queryset = Visit.objects.filter(patient=patient)
        self.fields["visit"].label_from_instance = lambda v: f"{v.date:%d/%m/%Y} · {v.reason}"
        if not clinical:
            for name in ("visit", "shared_with_patient", "administrative"):
                del self.fields[name]


SURFACE_CHOICES = [("", "—")] + list(SurfaceState.choices)


class ToothForm(NoNulMixin, forms.Form):
    """One tooth of the chart: what the editor posts (with the whole chart as ``chart``
    when its script runs; this form alone without it)."""

    tooth = forms.TypedChoiceField(label=_("Tooth"), choices=[(t, t) for t in sorted(TEETH, key=int)], coerce=str)
    state = forms.ChoiceField(label=_("Tooth state"), choices=ToothState.choices, initial=ToothState.HEALTHY)
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, required=False)
    chart = forms.CharField(widget=forms.HiddenInput, required=False, max_length=50_000)
    version_note = forms.CharField(label=_("What changed (optional)"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Surface.choices:
            self.fields[f"surface_{value}"] = forms.ChoiceField(label=label, choices=SURFACE_CHOICES, required=False)

    def surfaces(self) -> dict:
        return {value: self.cleaned_data.get(f"surface_{value}") or "" for value in Surface.values}


class MergeForm(forms.Form):
    duplicate = forms.ModelChoiceField(label=_("Duplicate record to merge into this one"), queryset=Patient.objects.current())
    confirm = forms.BooleanField(label=_("I have checked that both records are the same person."))
