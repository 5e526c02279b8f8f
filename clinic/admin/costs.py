"""Costs in the staff admin (clinic admins): expenses with their overdue flag and a "mark
paid" button, recurring expenses, categories, pay agreements, and the monthly pay
statements (generate, approve, detail, CSV). Practitioners see their own statements,
read only; reception sees none of it. Every write is a clinic action (clinic.actions.costs)."""

import csv
from decimal import Decimal, InvalidOperation

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.forms import modelform_factory
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup

from portal.money import format_money

from ..actions.base import ActionError
from ..actions.costs import (
    ApprovePayStatement, GeneratePayStatements, MarkExpensePaid, SaveCostRecord, SaveExpense, SavePayAgreement, SaveRecurringExpense,
    parse_month,
)
from ..availability import BadRequest, parse_day
from ..models import Expense, ExpenseCategory, PayAgreement, PayStatement, RecurringExpense, Supplier
from ..models.costs import add_months, clinic_today
from .appointments import refused
from .viewsets import ClinicModelViewSet


def money(attribute):
    """A listing cell: the attribute as portal.money writes it in the clinic's currency."""
    return lambda obj: format_money(getattr(obj, attribute), connection.tenant.currency)


def bad_request(request, message, *, back=None):
    return TemplateResponse(request, "clinic/costs/bad_request.html", {"message": message, "back": back or reverse("clinic_pay:month")}, status=400)


# -- create and edit through the actions ---------------------------------------------------

class ActionFormMixin:
    """The form's instance is written by the viewset's ``action_class`` (permission,
    transaction, audit); a refusal shows the form again with its reason, nothing written."""

    action_class_for_costs = None

    def form_valid(self, form):
        self.form = form
        try:
            self.object = self.action_class_for_costs(form.save(commit=False), actor=self.request.user).execute()
        except ActionError as error:
            return refused(self, form, error)
        return self.save_action()


class CostCreateView(ActionFormMixin, CreateView):
    pass


class CostEditView(ActionFormMixin, EditView):
    pass


class CostForm(WagtailAdminModelForm):
    """Amounts typed the Spanish way ("125,50") read as the number they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            data = self.data.copy()
            for name, field in self.fields.items():
                value = data.get(name)
                if isinstance(field, forms.DecimalField) and isinstance(value, str) and "," in value and "." not in value:
                    data[name] = value.replace(",", ".")
            self.data = data


class ActiveChoicesForm(CostForm):
    """Inactive categories and suppliers are not offered, except the one already chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, model in (("category", ExpenseCategory), ("supplier", Supplier)):
            if name in self.fields:
                current = getattr(self.instance, f"{name}_id", None)
                self.fields[name].queryset = model.objects.filter(pk=current) | model.objects.filter(active=True)


class CostViewSet(ClinicModelViewSet):
    """A costs model's list, add and edit pages, whose writes go through ``action_class``.
    Nothing is deleted here: expenses and agreements are the clinic's accounts."""

    action_class = SaveCostRecord
    add_view_class = CostCreateView
    edit_view_class = CostEditView
    copy_view_enabled = False
    form_base = CostForm

    def get_form_class(self, for_update=False):
        return modelform_factory(self.model, form=self.form_base, fields=self.form_fields)

    def get_add_view_kwargs(self, **kwargs):
        return super().get_add_view_kwargs(action_class_for_costs=self.action_class, **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(action_class_for_costs=self.action_class, **kwargs)


class ExpenseCategoryViewSet(CostViewSet):
    model = ExpenseCategory
    icon = "tag"
    menu_label = _("Expense categories")
    list_display = ["name", BooleanColumn("active")]
    form_fields = ["name", "active"]
    delete_view_enabled = False


# -- expenses ------------------------------------------------------------------------------

class ExpenseFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), method="filter_state", empty_label=_("All"),
                                        choices=[("unpaid", _("unpaid")), ("overdue", _("overdue")), ("paid", _("paid"))])
    due_date = django_filters.DateFromToRangeFilter(label=_("Due date"), widget=DateRangePickerWidget)

    class Meta:
        model = Expense
        fields = ["category", "supplier", "state", "due_date"]

    def filter_state(self, queryset, name, value):
        return {"unpaid": queryset.unpaid(), "overdue": queryset.overdue(), "paid": queryset.paid()}.get(value, queryset)


class StateColumn(Column):
    """Paid (on which day), overdue (flagged) or due, and a "mark paid" button for whoever may."""

    cell_template_name = "clinic/costs/expense_state_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        can_pay = instance.paid_date is None and request is not None and request.user.has_perm("clinic.change_expense")
        context.update(overdue=instance.is_overdue(), can_pay=can_pay, csrf_token=get_token(request) if can_pay else "")
        return context


class ExpenseIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("category", "supplier")


class ExpenseViewSet(CostViewSet):
    """Every bill, one-off or written by a recurring expense, with what is overdue flagged."""

    model = Expense
    action_class = SaveExpense
    form_base = ActiveChoicesForm
    index_view_class = ExpenseIndexView
    filterset_class = ExpenseFilterSet
    icon = "doc-full"
    menu_label = _("All expenses")
    list_display = ["due_date", "description", "category", "supplier", Column("amount", label=_("Amount"), accessor=money("amount")),
                    StateColumn("state", label=_("State"))]
    search_fields = ["description", "reference"]
    form_fields = ["category", "supplier", "description", "reference", "amount", "due_date", "paid_date"]
    delete_view_enabled = False

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("<int:pk>/pagado/", mark_paid_view, name="mark_paid")]


@require_POST
def mark_paid_view(request, pk):
    """POST ``paid_date`` (optional, YYYY-MM-DD; today by default): through MarkExpensePaid."""
    if not request.user.has_perm("clinic.change_expense"):
        raise PermissionDenied
    back = reverse("clinic_expense:index")
    expense = Expense.objects.filter(pk=pk).first() if pk < 2**63 else None
    if expense is None:
        raise Http404
    try:
        paid_date = parse_day(request.POST.get("paid_date") or None)
        MarkExpensePaid(expense, paid_date=paid_date, actor=request.user).execute()
    except BadRequest as error:
        return bad_request(request, str(error), back=back)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("“%(expense)s” marked paid.") % {"expense": expense})
    return redirect(back)


class RecurringExpenseViewSet(CostViewSet):
    """Bills that come back every month, quarter or year: a daily job writes each period's expense once."""

    model = RecurringExpense
    action_class = SaveRecurringExpense
    form_base = ActiveChoicesForm
    icon = "repeat"
    menu_label = _("Recurring expenses")
    list_display = ["description", "category", "supplier", Column("amount", label=_("Amount"), accessor=money("amount")), "frequency", "starts_on",
                    "ends_on", BooleanColumn("active")]
    list_filter = ["frequency", "active", "category"]
    form_fields = ["category", "supplier", "description", "amount", "frequency", "starts_on", "ends_on", "due_day", "active"]
    delete_view_enabled = False


class PayAgreementViewSet(CostViewSet):
    """How each practitioner is paid, from a month on (the latest one that started counts)."""

    model = PayAgreement
    action_class = SavePayAgreement
    icon = "user"
    menu_label = _("Pay agreements")
    list_display = ["practitioner", "model", Column("fixed_amount", label=_("Fixed monthly amount"), accessor=money("fixed_amount")), "percentage",
                    "effective_from"]
    list_filter = ["practitioner", "model"]
    form_fields = ["practitioner", "model", "fixed_amount", "percentage", "effective_from"]
    delete_view_enabled = False


# -- pay statements --------------------------------------------------------------------------

def _statements_for(user):
    statements = PayStatement.objects.select_related("practitioner__user", "approved_by")
    if user.has_perm("clinic.view_any_paystatement"):
        return statements
    return statements.filter(practitioner__user=user)


def _month_or_400(request, value):
    try:
        return parse_month(value) or clinic_today().replace(day=1), None
    except ActionError as error:
        return None, bad_request(request, error.message)


def month_view(request):
    """The month's statements (``?mes=YYYY-MM``, this month by default): a clinic admin's
    are everyone's, with generate and approve; a practitioner's are their own."""
    if not request.user.has_perm("clinic.view_paystatement"):
        raise PermissionDenied
    month, error = _month_or_400(request, request.GET.get("mes"))
    if error:
        return error
    statements = list(_statements_for(request.user).filter(month=month).order_by("practitioner__sort_order", "practitioner__pk"))
    this_month = clinic_today().replace(day=1)
    return TemplateResponse(request, "clinic/costs/pay_month.html", {
        "month": month, "statements": statements, "previous": add_months(month, -1), "next": add_months(month, 1) if month < this_month else None,
        "can_generate": request.user.has_perm("clinic.add_paystatement") and month <= this_month,
        "can_approve": request.user.has_perm("clinic.approve_paystatement") and add_months(month, 1) <= clinic_today(),
        "total": sum((s.total for s in statements), Decimal("0")),
        "currency": connection.tenant.currency,
    })


def detail_view(request, pk):
    if not request.user.has_perm("clinic.view_paystatement"):
        raise PermissionDenied
    statement = _statements_for(request.user).filter(pk=pk).first() if pk < 2**63 else None
    if statement is None:
        raise Http404
    lines = statement.lines.select_related("appointment__patient", "appointment__service").order_by("appointment__start")
    return TemplateResponse(request, "clinic/costs/pay_statement.html", {
        "statement": statement, "lines": lines, "currency": connection.tenant.currency,
        "can_approve": request.user.has_perm("clinic.approve_paystatement") and not statement.is_approved
        and add_months(statement.month, 1) <= clinic_today(),
    })


@require_POST
def generate_view(request):
    if not request.user.has_perm("clinic.add_paystatement"):
        raise PermissionDenied
    month, error = _month_or_400(request, request.POST.get("mes"))
    if error:
        return error
    try:
        drafts = GeneratePayStatements(month=month, actor=request.user).execute()
    except ActionError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, gettext("%(n)s draft statements computed.") % {"n": len(drafts)})
    return redirect(reverse("clinic_pay:month") + f"?mes={month:%Y-%m}")


@require_POST
def approve_view(request, pk):
    if not request.user.has_perm("clinic.approve_paystatement"):
        raise PermissionDenied
    statement = PayStatement.objects.filter(pk=pk).first() if pk < 2**63 else None
    if statement is None:
        raise Http404
    expected = request.POST.get("total", "")
    try:
        expected_total = Decimal(expected) if expected else None
        if expected_total is not None and not expected_total.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        return bad_request(request, gettext("Approve from the statement's page."))
    try:
        ApprovePayStatement(statement, expected_total=expected_total, actor=request.user).execute()
    except ActionError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, gettext("Statement of %(who)s approved.") % {"who": statement.practitioner})
    return redirect(reverse("clinic_pay:detail", args=[statement.pk]))


def csv_view(request):
    """The month's statements one per row (what the person may see), amounts as plain decimals."""
    if not request.user.has_perm("clinic.view_paystatement"):
        raise PermissionDenied
    month, error = _month_or_400(request, request.GET.get("mes"))
    if error:
        return error
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="nominas-{month:%Y-%m}.csv"'
    writer = csv.writer(response)
    writer.writerow([gettext("Practitioner"), gettext("Month"), gettext("Status"), gettext("Pay model"), gettext("Fixed part"), gettext("Sessions"), gettext("Sessions earned"),
                     gettext("Percentage"), gettext("Commission"), gettext("Total"), gettext("Currency"), gettext("Approved by"), gettext("Approved")])
    for s in _statements_for(request.user).filter(month=month).order_by("practitioner__sort_order", "practitioner__pk"):
        writer.writerow([str(s.practitioner), f"{s.month:%Y-%m}", s.get_status_display(), s.get_model_display(), s.fixed_part, s.sessions,
                         s.earnings_base, s.percentage, s.commission, s.total, connection.tenant.currency,
                         s.approved_by.get_full_name() if s.approved_by else "", s.approved_at.isoformat() if s.approved_at else ""])
    return response


class PermissionMenuItem(MenuItem):
    permission = ""

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


class PayStatementViewSet(ViewSet):
    """The monthly pay statements (not a model viewset: statements are computed, never typed)."""

    name = "clinic_pay"
    icon = "doc-full-inverse"
    menu_label = _("Pay statements")

    @cached_property
    def menu_item_class(self):
        return type("PayStatementMenuItem", (PermissionMenuItem,), {"permission": "clinic.view_paystatement"})

    @property
    def url_prefix(self):
        return "nominas"

    @property
    def menu_url(self):
        return reverse("clinic_pay:month")

    def get_urlpatterns(self):
        return [
            path("", month_view, name="month"),
            path("generar/", generate_view, name="generate"),
            path("csv/", csv_view, name="csv"),
            path("<int:pk>/", detail_view, name="detail"),
            path("<int:pk>/aprobar/", approve_view, name="approve"),
        ]


class CostsViewSetGroup(ViewSetGroup):
    menu_label = _("Costs")
    menu_icon = "doc-full"
    menu_order = 160
    items = (ExpenseViewSet, RecurringExpenseViewSet, ExpenseCategoryViewSet, PayAgreementViewSet, PayStatementViewSet)


