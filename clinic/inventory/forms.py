"""Forms of the inventory admin. They only read and check input; the actions write."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.models import WagtailAdminModelForm

from clinic.models import Supplier

from .actions import quantity_text
from .models import MAX_QUANTITY, Lot, Supply

QUANTITY = {"max_digits": 12, "decimal_places": 3, "max_value": MAX_QUANTITY}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, lot):
        return _("%(code)s, expires %(expiry)s (%(quantity)s in stock)") % {
            "code": lot.code, "expiry": lot.expiry.strftime("%d/%m/%Y"), "quantity": quantity_text(lot.quantity)}


class ReceiveForm(forms.Form):
    quantity = forms.DecimalField(label=_("Quantity received"), min_value=Decimal("0.001"), **QUANTITY)
    lot_code = forms.CharField(label=_("Lot"), max_length=60, required=False)
    expiry = forms.DateField(label=_("Expiry"), required=False, widget=DATE)
    reason = forms.CharField(label=_("Delivery note or invoice"), max_length=255, required=False)

    def __init__(self, *args, supply: Supply, **kwargs):
        super().__init__(*args, prefix="receive", **kwargs)
        if supply.tracks_lots:
            self.fields["lot_code"].required = self.fields["expiry"].required = True
        else:
            del self.fields["lot_code"], self.fields["expiry"]


class UseForm(forms.Form):
    quantity = forms.DecimalField(label=_("Quantity used"), min_value=Decimal("0.001"), **QUANTITY)
    lot = LotChoiceField(label=_("Lot"), queryset=Lot.objects.none(), required=False, empty_label=_("Earliest expiry first"))
    reason = forms.CharField(label=_("What for"), max_length=255)

    def __init__(self, *args, supply: Supply, **kwargs):
        super().__init__(*args, prefix="use", **kwargs)
        if supply.tracks_lots:
            self.fields["lot"].queryset = supply.lots.filter(quantity__gt=0)
        else:
            del self.fields["lot"]


class AdjustForm(forms.Form):
    quantity = forms.DecimalField(label=_("Found (+) or missing (−)"), min_value=-MAX_QUANTITY, max_digits=12, decimal_places=3, max_value=MAX_QUANTITY,
                                  help_text=_("After a count: 3 if there are three more than the stock says, −2 if two are missing."))
    lot = LotChoiceField(label=_("Lot counted"), queryset=Lot.objects.none(), required=True)
    reason = forms.CharField(label=_("Why"), max_length=255)

    def __init__(self, *args, supply: Supply, **kwargs):
        super().__init__(*args, prefix="adjust", **kwargs)
        if supply.tracks_lots:
            self.fields["lot"].queryset = supply.lots.all()
        else:
            del self.fields["lot"]

    def clean_quantity(self):
        value = self.cleaned_data["quantity"]
        if value == 0:
            raise forms.ValidationError(_("Enter how much was found (+) or is missing (−); not zero."))
        return value


class SupplyAdminForm(WagtailAdminModelForm):
    """Only active suppliers are offered (inactive ones keep their history). Lot tracking is
    switched only while nothing is in stock: the stock of a supply that tracks lots is the
    sum of its lots."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "supplier" in self.fields:
            current = self.instance.supplier_id
            self.fields["supplier"].queryset = Supplier.objects.filter(active=True) | Supplier.objects.filter(pk=current)

    def clean_tracks_lots(self):
        value = self.cleaned_data.get("tracks_lots")
        instance = self.instance
        if instance.pk and value != instance.tracks_lots and Supply.objects.filter(pk=instance.pk, stock__gt=0).exists():
            raise forms.ValidationError(_("Lot tracking can be switched only when nothing is in stock: use it up or adjust it to zero first."))
        return value


class BillLineForm(forms.Form):
    supply = forms.ModelChoiceField(label=_("Supply"), queryset=Supply.objects.active(), required=False)
    quantity = forms.DecimalField(label=_("Quantity per visit"), min_value=Decimal("0.001"), required=False, **QUANTITY)

    def clean(self):
        data = super().clean()
        if data.get("supply") and data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter how much one visit uses."))
        return data


class BaseBillFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            supply = form.cleaned_data.get("supply")
            if supply is None or form.cleaned_data.get("DELETE"):
                continue
            if supply.pk in seen:
                raise forms.ValidationError(_("“%(supply)s” is listed twice: one line per supply.") % {"supply": supply.name})
            seen.add(supply.pk)

    def lines(self):
        return [(f.cleaned_data["supply"], f.cleaned_data["quantity"]) for f in self.forms
                if f.cleaned_data.get("supply") and not f.cleaned_data.get("DELETE")]


BillFormSet = forms.formset_factory(BillLineForm, formset=BaseBillFormSet, extra=3, can_delete=True, max_num=100, absolute_max=100, validate_max=True)
