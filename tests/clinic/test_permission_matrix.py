"""Issue 9: every role × every agenda, desk, team and dashboard view, on a clinic with
the demo fortnight in it. Each cell says what that person gets: "ok" (the page), or
"no" (refused: Wagtail sends staff without the permission back to the dashboard,
patients and strangers to sign in). A new clinic admin route not in the table fails
the test, so each view added later gets its row."""

import re
from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from clinic.actions.costs import GeneratePayStatements
from clinic.inventory.actions import ReceiveStock
from clinic.inventory.models import ServiceSupply, StockMovement, Supply, SupplyCategory
from clinic.models import Appointment, Expense, ExpenseCategory, PayAgreement, PayStatement, Practitioner, Service, TimeOff
from portal.models import User
from portal.tenancy import clinic_context
from tenants.demo_agenda import seed_agenda

pytestmark = pytest.mark.django_db

ROLES = ["admin", "reception", "practitioner", "patient", "anonymous"]
EMAILS = {"admin": "admin@sonrisa.example", "reception": "recepcion@sonrisa.example", "practitioner": "lucia.fernandez@sonrisa.example",
          "patient": "paciente@sonrisa.example"}
OK, NO = "ok", "no"

# GET views: route name → what each role (in ROLES order) gets.
PAGES = {
    "wagtailadmin_home": (OK, OK, OK, NO, NO),
    "clinic_agenda:day": (OK, OK, OK, NO, NO),
    "clinic_agenda:week": (OK, OK, OK, NO, NO),
    "clinic_agenda:appointment": (OK, OK, OK, NO, NO),  # the practitioner sees another's, read-only
    "clinic_agenda:move": (OK, OK, NO, NO, NO),  # another practitioner's appointment
    "clinic_desk:book": (OK, OK, NO, NO, NO),
    "clinic_team:team": (OK, OK, OK, NO, NO),
    "clinic_team:hours": (OK, OK, NO, NO, NO),
    "clinic_team:holidays": (OK, OK, NO, NO, NO),
    "clinic_patientpayment:add": (OK, OK, NO, NO, NO),
    "clinic_room:index": (OK, OK, OK, NO, NO),
    "clinic_equipment:index": (OK, OK, NO, NO, NO),
    "clinic_supplier:index": (OK, NO, NO, NO, NO),  # costs: clinic admins only
    # Inventory (issue 12): every staff member sees stock; clinic admins edit supplies and bills.
    "inventory_supply:index": (OK, OK, OK, NO, NO),
    "inventory_supply:add": (OK, NO, NO, NO, NO),
    "inventory_supply:edit": (OK, NO, NO, NO, NO),
    "inventory_supplycategory:index": (OK, OK, OK, NO, NO),
    "inventory_supplycategory:add": (OK, NO, NO, NO, NO),
    "inventory_supplycategory:edit": (OK, NO, NO, NO, NO),
    "inventory_stockmovement:index": (OK, OK, OK, NO, NO),
    "inventory:supply": (OK, OK, OK, NO, NO),
    "inventory:low_stock": (OK, OK, OK, NO, NO),
    "inventory:expiring": (OK, OK, OK, NO, NO),
    "inventory:bills": (OK, OK, OK, NO, NO),
    "inventory:bill": (OK, OK, OK, NO, NO),
    # Costs (issue 12): clinic admins only; a practitioner reads their own statements, not another's.
    "clinic_expense:index": (OK, NO, NO, NO, NO),
    "clinic_expense:add": (OK, NO, NO, NO, NO),
    "clinic_expense:edit": (OK, NO, NO, NO, NO),
    "clinic_recurringexpense:index": (OK, NO, NO, NO, NO),
    "clinic_recurringexpense:add": (OK, NO, NO, NO, NO),
    "clinic_expensecategory:index": (OK, NO, NO, NO, NO),
    "clinic_payagreement:index": (OK, NO, NO, NO, NO),
    "clinic_payagreement:add": (OK, NO, NO, NO, NO),
    "clinic_pay:month": (OK, NO, OK, NO, NO),
    "clinic_pay:csv": (OK, NO, OK, NO, NO),
    "clinic_pay:detail": (OK, NO, NO, NO, NO),  # Javier's statement
    "clinic_pay:own": (OK, NO, OK, NO, NO),  # Lucía's statement
}
# POST-only routes: what each role gets when it tries (nothing must change for "no").
ACTIONS = {
    "clinic_agenda:status": (OK, OK, NO, NO, NO),  # checking in another practitioner's patient
    "clinic_agenda:cancel_series": (OK, OK, NO, NO, NO),
    "clinic_team:time_off": (OK, NO, NO, NO, NO),
    "clinic_expense:mark_paid": (OK, NO, NO, NO, NO),
    "clinic_pay:generate": (OK, NO, NO, NO, NO),
    "clinic_pay:approve": (OK, NO, NO, NO, NO),
}


# Inventory POSTs: reception receives, practitioners record use, clinic admins do all.
STOCK_ACTIONS = {
    "inventory:receive": ((OK, OK, NO, NO, NO), {"receive-quantity": "1", "receive-reason": "Albarán"}),
    "inventory:use": ((OK, NO, OK, NO, NO), {"use-quantity": "1", "use-reason": "Prueba"}),
    "inventory:adjust": ((OK, NO, NO, NO, NO), {"adjust-quantity": "1", "adjust-reason": "Recuento"}),
    "inventory:bill": ((OK, NO, NO, NO, NO), None),
}


def outcome(response):
    if response.status_code == HTTPStatus.OK:
        return OK
    if response.status_code == HTTPStatus.FOUND and response["Location"].split("?")[0] in ("/admin/", "/accounts/login/", "/admin/login/"):
        return NO
    if response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND):
        return NO
    return OK if response.status_code == HTTPStatus.FOUND else f"HTTP {response.status_code}"


@pytest.fixture
def world(clinic_a, host_client, password):
    seed_agenda(clinic_a)
    with clinic_context(clinic_a):
        lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        javier = Practitioner.objects.get(user__email="javier.morales@sonrisa.example")
        theirs = Appointment.objects.filter(practitioner=javier, status="confirmed", start__gt=timezone.now()).order_by("start").first()
        TimeOff.objects.create(practitioner=javier, start=timezone.now() + timedelta(days=30), end=timezone.now() + timedelta(days=31), reason="Curso")
        admin = User.objects.get(email=EMAILS["admin"])
        category = ExpenseCategory.objects.create(name="Matriz (prueba)")
        expense = Expense.objects.create(category=category, description="Factura matriz", amount=Decimal("10"), due_date=date(2026, 1, 1))
        for who, amount in ((javier, "1500"), (lucia, "1200")):
            PayAgreement.objects.create(practitioner=who, model="fixed", fixed_amount=Decimal(amount), effective_from=date(2024, 1, 1))
        GeneratePayStatements(month=date(2024, 5, 1), actor=admin).execute()
        statement = PayStatement.objects.get(practitioner=javier, month=date(2024, 5, 1))
        own = PayStatement.objects.get(practitioner=lucia, month=date(2024, 5, 1))
    clients = {}
    for role in ROLES:
        client = host_client(clinic_a.primary_host)
        if role != "anonymous":
            assert client.post("/accounts/login/", {"login": EMAILS[role], "password": password}).status_code == HTTPStatus.FOUND
        clients[role] = client
    with clinic_context(clinic_a):
        category = SupplyCategory.objects.create(name="Categoría de la matriz")
        supply = Supply.objects.create(name="Guantes de la matriz", minimum=Decimal("1"), category=category)
        ReceiveStock(supply, quantity=Decimal("10"), actor=User.objects.get(email=EMAILS["admin"])).execute()
        service = Service.objects.get(slug="empaste-obturacion")
    return {"clients": clients, "args": {"pk": theirs.pk}, "javier": javier, "lucia": lucia, "appointment": theirs, "clinic": clinic_a,
            "supply": supply, "service": service, "category": category,
            "expense": expense, "statement": statement, "own": own}


def url_for(name, world):
    if name in ("clinic_expense:edit", "clinic_expense:mark_paid"):
        return reverse(name, args=[world["expense"].pk])
    if name in ("clinic_pay:detail", "clinic_pay:approve"):
        return reverse(name, args=[world["statement"].pk])
    if name == "clinic_pay:own":
        return reverse("clinic_pay:detail", args=[world["own"].pk])
    if name in ("clinic_pay:month", "clinic_pay:csv"):
        return reverse(name) + "?mes=2024-05"
    if name in ("clinic_agenda:appointment", "clinic_agenda:move", "clinic_agenda:status", "clinic_agenda:cancel_series"):
        return reverse(name, args=[world["appointment"].pk])
    if name in ("clinic_team:hours", "clinic_team:time_off"):
        return reverse(name, args=[world["javier"].pk])
    if name in ("inventory_supply:edit", "inventory:supply", "inventory:receive", "inventory:use", "inventory:adjust"):
        return reverse(name, args=[world["supply"].pk])
    if name == "inventory_supplycategory:edit":
        return reverse(name, args=[world["category"].pk])
    if name == "inventory:bill":
        return reverse(name, args=[world["service"].pk])
    return reverse(name)


@pytest.mark.parametrize("name", list(PAGES))
def test_each_role_gets_exactly_its_pages(world, name):
    got = {role: outcome(world["clients"][role].get(url_for(name, world))) for role in ROLES}
    assert got == dict(zip(ROLES, PAGES[name])), name


@pytest.mark.parametrize("name", list(ACTIONS))
def test_each_role_may_do_exactly_its_actions(world, name):
    for role, expected in zip(ROLES, ACTIONS[name]):
        with clinic_context(world["clinic"]):
            before = Appointment.objects.get(pk=world["appointment"].pk).status
            away = TimeOff.objects.filter(practitioner=world["javier"]).count()
            costs = costs_state(world)
        data = {"to": "no_show", "reason": "Prueba"} if name != "clinic_team:time_off" else {"start": "2031-01-01T09:00", "end": "2031-01-01T10:00"}
        data.update(mes="2024-05") if name == "clinic_pay:generate" else None
        got = outcome(world["clients"][role].post(url_for(name, world), data))
        with clinic_context(world["clinic"]):
            after = Appointment.objects.get(pk=world["appointment"].pk).status
            away_after = TimeOff.objects.filter(practitioner=world["javier"]).count()
            costs_after = costs_state(world)
        if expected == NO:
            assert got == NO, (name, role)
            assert (after, away_after, costs_after) == (before, away, costs), f"{role} changed something through {name}"


def costs_state(world):
    statement = PayStatement.objects.get(pk=world["statement"].pk)
    return (Expense.objects.get(pk=world["expense"].pk).paid_date, statement.status, statement.generated_at, PayStatement.objects.count())


@pytest.mark.parametrize("name", list(STOCK_ACTIONS))
def test_each_role_may_move_exactly_its_stock(world, name):
    expected, data = STOCK_ACTIONS[name]
    supply, service = world["supply"], world["service"]
    for role, want in zip(ROLES, expected):
        with clinic_context(world["clinic"]):
            before = (Supply.objects.get(pk=supply.pk).stock, StockMovement.objects.filter(supply=supply).count(), ServiceSupply.objects.count())
        post = data if data is not None else {"bom-TOTAL_FORMS": "1", "bom-INITIAL_FORMS": "0", "bom-0-supply": str(supply.pk), "bom-0-quantity": "1"}
        got = outcome(world["clients"][role].post(url_for(name, world), post))
        with clinic_context(world["clinic"]):
            after = (Supply.objects.get(pk=supply.pk).stock, StockMovement.objects.filter(supply=supply).count(), ServiceSupply.objects.count())
        assert got == want, (name, role)
        if want == NO:
            assert after == before, f"{role} changed something through {name}"
        else:
            assert after != before, f"{role} changed nothing through {name}"
            with clinic_context(world["clinic"]):
                ServiceSupply.objects.filter(service=service).delete()


def test_every_clinic_admin_route_of_this_issue_is_in_the_table():
    """A new agenda, desk or team route must say here who may use it."""
    names = set()

    def visit(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                visit(pattern.url_patterns, (namespace + ":" if namespace else "") + (pattern.namespace or "") if pattern.namespace else namespace)
            elif pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    from django.conf import settings

    visit(get_resolver(settings.ROOT_URLCONF).url_patterns)
    ours = {n for n in names if re.match(r"clinic_(agenda|desk|team|pay|expense|recurringexpense|expensecategory|payagreement):|inventory:", n)}
    ours |= {n for n in names if re.match(r"inventory_\w+:(index|add|edit)$", n)}
    # Wagtail's own routes of a model viewset answer to the same permission policy as its
    # index, add and edit pages, which the table lists.
    ours -= {f"clinic_{m}:{v}" for m in ("expense", "recurringexpense", "expensecategory", "payagreement")
             for v in ("edit", "add", "history", "history_results", "usage", "inspect", "delete", "copy", "index_results")}
    listed = set(PAGES) | set(ACTIONS) | set(STOCK_ACTIONS)
    assert ours and ours <= listed, ours - listed
