"""The inventory pages of the staff admin (/admin/inventario/…), registered in wagtail_hooks.

Thin views: a permission, a form, one action, a redirect or the page again with the
form's errors (status 400). Nothing here writes to the database itself.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.actions.base import ActionError
from clinic.models import Service

from . import queries
from .actions import AdjustStock, ReceiveStock, SaveBillOfMaterials, UseStock, quantity_text
from .forms import AdjustForm, BillFormSet, ReceiveForm, UseForm
from .models import ServiceSupply, Supply

RECENT = 20
FORMS = {  # form prefix → (form, permission)
    "receive": (ReceiveForm, "inventory.receive_stock"),
    "use": (UseForm, "inventory.use_stock"),
    "adjust": (AdjustForm, "inventory.adjust_stock"),
}


def _require(request, permission):
    if not request.user.has_perm(permission):
        raise PermissionDenied(permission)


def _supply(request, pk) -> Supply:
    _require(request, "inventory.view_supply")
    supply = Supply.objects.select_related("category", "supplier").filter(pk=pk).first()
    if supply is None:
        raise Http404
    return supply


def bad_request(request, message):
    return TemplateResponse(request, "inventory/bad_request.html", {"message": message, "back": reverse("inventory_supply:index")}, status=400)


def supply_view(request, pk, bound=None):
    """The supply page: stock, lots, the receive / use / adjust forms the user may use,
    and the latest movements. ``bound`` is a form that failed (shown with its errors)."""
    supply = _supply(request, pk)
    forms = {name: form(supply=supply) for name, (form, permission) in FORMS.items() if request.user.has_perm(permission)}
    if bound is not None:
        forms[bound.prefix] = bound
    movements = supply.movements.select_related("lot", "author", "appointment__patient")[:RECENT]
    context = {
        "supply": supply, "forms": forms, "movements": movements, "lots": supply.lots.filter(quantity__gt=0) if supply.tracks_lots else [],
        "today": queries.clinic_today(),
        "bill": ServiceSupply.objects.filter(supply=supply).select_related("service"),
        "currency": request.tenant.currency, "stock": quantity_text(supply.stock), "minimum": quantity_text(supply.minimum),
        "shortfall": quantity_text(supply.shortfall),
    }
    return TemplateResponse(request, "inventory/supply.html", context, status=400 if bound is not None else 200)


def _move(request, pk, name, run):
    supply = _supply(request, pk)
    form_class, permission = FORMS[name]
    _require(request, permission)
    form = form_class(request.POST, supply=supply)
    if form.is_valid():
        try:
            run(supply, form.cleaned_data)
        except ActionError as error:
            form.add_error(None, error.message)
        else:
            supply.refresh_from_db()
            messages.success(request, _("“%(supply)s”: %(stock)s %(unit)s in stock.") % {
                "supply": supply.name, "stock": quantity_text(supply.stock), "unit": supply.get_unit_display()})
            return redirect("inventory:supply", supply.pk)
    return supply_view(request, pk, bound=form)


@require_POST
def receive_view(request, pk):
    return _move(request, pk, "receive", lambda supply, data: ReceiveStock(
        supply, quantity=data["quantity"], lot_code=data.get("lot_code", ""), expiry=data.get("expiry"), reason=data["reason"],
        actor=request.user).execute())


@require_POST
def use_view(request, pk):
    return _move(request, pk, "use", lambda supply, data: UseStock(
        supply, quantity=data["quantity"], lot=data.get("lot"), reason=data["reason"], actor=request.user).execute())


@require_POST
def adjust_view(request, pk):
    return _move(request, pk, "adjust", lambda supply, data: AdjustStock(
        supply, quantity=data["quantity"], lot=data.get("lot"), reason=data["reason"], actor=request.user).execute())


def low_stock_view(request):
    """Supplies to order: at or under their minimum, or used in visits beyond stock."""
    _require(request, "inventory.view_supply")
    rows = [{"supply": s, "stock": quantity_text(s.stock), "minimum": quantity_text(s.minimum), "shortfall": quantity_text(s.shortfall)}
            for s in queries.low_stock()]
    return TemplateResponse(request, "inventory/low_stock.html", {"rows": rows, "currency": request.tenant.currency})


def expiring_view(request):
    """Lots in stock that expire within the chosen number of days (60 by default), and
    those already expired."""
    _require(request, "inventory.view_lot")
    raw = request.GET.get("dias", "")
    days = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else (60 if raw == "" else 0)
    if not 1 <= days <= 3650:
        return bad_request(request, _("Enter a number of days between 1 and 3650."))
    today = queries.clinic_today()
    lots = list(queries.expiring(within_days=days, today=today))
    rows = [{"lot": lot, "quantity": quantity_text(lot.quantity), "days": (lot.expiry - today).days, "ago": (today - lot.expiry).days}
            for lot in lots]
    return TemplateResponse(request, "inventory/expiring.html", {
        "expired": [r for r in rows if r["days"] < 0], "soon": [r for r in rows if r["days"] >= 0], "days": days, "today": today})


def bills_view(request):
    """Every active service with the supplies one visit uses."""
    _require(request, "inventory.view_servicesupply")
    lines = {}
    for line in ServiceSupply.objects.select_related("supply"):
        lines.setdefault(line.service_id, []).append({"supply": line.supply, "quantity": quantity_text(line.quantity)})
    services = [{"service": s, "lines": lines.get(s.pk, [])} for s in Service.objects.active().select_related("category").order_by("name")]
    return TemplateResponse(request, "inventory/bills.html", {"services": services})


def bill_view(request, service_id):
    """One service's bill of materials, edited whole (SaveBillOfMaterials)."""
    _require(request, "inventory.view_servicesupply")
    service = Service.objects.filter(pk=service_id).first()
    if service is None:
        raise Http404
    may_edit = request.user.has_perm("inventory.change_servicesupply")
    initial = [{"supply": line.supply, "quantity": line.quantity} for line in ServiceSupply.objects.filter(service=service).select_related("supply")]
    formset = BillFormSet(initial=initial, prefix="bom")
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("inventory.change_servicesupply")
        formset = BillFormSet(request.POST, initial=initial, prefix="bom")
        if formset.is_valid():
            try:
                SaveBillOfMaterials(service, formset.lines(), actor=request.user).execute()
            except ActionError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Bill of materials of “%(service)s” saved.") % {"service": service.name})
                return redirect("inventory:bills")
        status = 400
    return TemplateResponse(request, "inventory/bill.html", {"service": service, "formset": formset, "may_edit": may_edit}, status=status)
