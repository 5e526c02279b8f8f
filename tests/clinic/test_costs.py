"""Issue 12, item 2: expenses (one-off and recurring, written once per period, overdue
flagged in the clinic's zone) and practitioner pay (fixed, percentage, both), with the
monthly statement a clinic admin approves and the database then freezes."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from clinic.actions.base import ActionError, ActionPermissionDenied
from clinic.actions.costs import (
    ApprovePayStatement, GeneratePayStatements, GenerateRecurringExpense, MarkExpensePaid, SavePayAgreement, generate_recurring_expenses,
)
from clinic.actions.payments import RecordDeskPayment, RefundPayment
from clinic.costs import expenses_by_month, expenses_due, overdue_expenses, pay_by_month
from clinic.models import (
    Appointment, Expense, ExpenseCategory, Patient, PatientPayment, PayAgreement, PayStatement, PayStatementLine, Practitioner, RecurringExpense,
    Supplier,
)
from portal.models import User
from portal.tenancy import clinic_context
from tests.helpers import MADRID, login, text

pytestmark = pytest.mark.django_db

MEXICO = __import__("zoneinfo").ZoneInfo("America/Mexico_City")


@pytest.fixture
def staff(clinic_a):
    with clinic_context(clinic_a):
        people = {key: User.objects.get(email=f"{local}@sonrisa.example") for key, local in (
            ("admin", "admin"), ("reception", "recepcion"), ("lucia", "lucia.fernandez"), ("javier", "javier.morales"), ("carmen", "carmen.ortega"))}
        people.update({f"p_{key}": Practitioner.objects.get(user=people[key]) for key in ("lucia", "javier", "carmen")})
        people["patient"] = Patient.objects.create(first_name="Coste", last_name="Prueba")
        people["rent"] = ExpenseCategory.objects.create(name="Alquiler (prueba)")
        people["landlord"] = Supplier.objects.create(name="Inmobiliaria Prueba")
        return people


def appointment(practitioner, patient, start, *, status=Appointment.Status.COMPLETED, price="60"):
    service = practitioner.services.first()
    booked = Appointment(patient=patient, practitioner=practitioner, service=service, start=start, end=start + timedelta(minutes=30),
                         status=status, price=Decimal(price))
    booked.save()
    return booked


def local(day, hour, minute=0, zone=MADRID):
    return datetime.combine(day, time(hour, minute), zone)


# -- recurring expenses ------------------------------------------------------------------------

def test_a_recurring_expense_is_written_once_per_period_however_often_the_job_runs(clinic_a, staff):
    with clinic_context(clinic_a):
        rent = RecurringExpense.objects.create(category=staff["rent"], supplier=staff["landlord"], description="Alquiler del local",
                                               amount=Decimal("1450"), starts_on=date(2026, 1, 1), due_day=5)
        assert GenerateRecurringExpense(rent, today=date(2026, 3, 10)).execute() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
        assert GenerateRecurringExpense(rent, today=date(2026, 3, 10)).execute() == []
        generate_recurring_expenses(today=date(2026, 3, 31))
        rows = list(Expense.objects.filter(recurring=rent).order_by("period").values_list("period", "due_date", "amount", "supplier_id"))
        assert rows == [(date(2026, m, 1), date(2026, m, 5), Decimal("1450.00"), staff["landlord"].pk) for m in (1, 2, 3)]
        # The database is the last word: the same period inserted again is refused.
        with pytest.raises(IntegrityError), transaction.atomic():
            Expense.objects.create(category=staff["rent"], description="x", amount=1, due_date=date(2026, 1, 5), recurring=rent, period=date(2026, 1, 1))
        entry = ModelLogEntry.objects.filter(action="clinic.expense.recurring", object_id=str(rent.pk)).get()
        assert entry.data["periods"] == ["2026-01-01", "2026-02-01", "2026-03-01"] and entry.user is None


def test_a_missed_quarter_is_caught_up_and_the_end_date_is_respected(clinic_a, staff):
    with clinic_context(clinic_a):
        insurance = RecurringExpense.objects.create(category=staff["rent"], description="Seguro RC", amount=Decimal("390"), starts_on=date(2025, 1, 20),
                                                    frequency=RecurringExpense.Frequency.QUARTERLY, due_day=31)
        assert GenerateRecurringExpense(insurance, today=date(2025, 4, 2)).execute() == [date(2025, 1, 1), date(2025, 4, 1)]
        # The job did not run from April to December: July and October are written on its next run, not twice.
        assert GenerateRecurringExpense(insurance, today=date(2025, 12, 1)).execute() == [date(2025, 7, 1), date(2025, 10, 1)]
        assert list(Expense.objects.filter(recurring=insurance).order_by("period").values_list("due_date", flat=True)) == [
            date(2025, 1, 31), date(2025, 4, 30), date(2025, 7, 31), date(2025, 10, 31)]  # day 31 is the last day of shorter months

        water = RecurringExpense.objects.create(category=staff["rent"], description="Agua", amount=Decimal("45.20"), starts_on=date(2026, 1, 1),
                                                ends_on=date(2026, 2, 15), due_day=31)
        assert GenerateRecurringExpense(water, today=date(2026, 6, 1)).execute() == [date(2026, 1, 1), date(2026, 2, 1)]
        assert Expense.objects.get(recurring=water, period=date(2026, 2, 1)).due_date == date(2026, 2, 28)

        paused = RecurringExpense.objects.create(category=staff["rent"], description="Revista", amount=Decimal("9"), starts_on=date(2026, 1, 1),
                                                 active=False)
        assert GenerateRecurringExpense(paused, today=date(2026, 6, 1)).execute() == []


def test_the_daily_job_is_scheduled_in_every_clinic():
    from tenants.services import SCHEDULES

    [entry] = [e for e in SCHEDULES if e[1] == "clinic.tasks.in_every_clinic" and e[3]["func_path"] == "clinic.actions.costs.generate_recurring_expenses"]
    assert entry[2] == 24 * 60


# -- overdue, in the clinic's time zone -----------------------------------------------------------

@pytest.mark.parametrize("slug, zone", [("sonrisa", MADRID), ("alamos", MEXICO)])
def test_overdue_turns_on_at_the_clinics_midnight(slug, zone, monkeypatch, host_client, password):
    from tenants.models import Clinic

    clinic = Clinic.objects.get(slug=slug)
    due = timezone.localdate(timezone=zone)
    with clinic_context(clinic):
        category = ExpenseCategory.objects.create(name="Suministros (prueba)")
        bill = Expense.objects.create(category=category, description="Luz de marzo", amount=Decimal("120.40"), due_date=due)
        admin = User.objects.get(email=f"admin@{slug}.example")
    client = login(host_client(clinic.primary_host), admin.email, password)
    last_second = datetime.combine(due, time(23, 59, 30), zone)
    for instant, overdue in ((last_second, False), (last_second + timedelta(minutes=1), True)):
        monkeypatch.setattr(timezone, "now", lambda instant=instant: instant)
        with clinic_context(clinic):
            assert Expense.objects.get(pk=bill.pk).is_overdue() is overdue
            assert [e.pk for e in overdue_expenses() if e.pk == bill.pk] == ([bill.pk] if overdue else [])
            assert [e.pk for e in expenses_due(within_days=7) if e.pk == bill.pk] == ([] if overdue else [bill.pk])
        page = text(client.get(reverse("clinic_expense:index") , {"q": "Luz de marzo"}))
        assert ("Vencido" in page) is overdue, page[:3000]


def test_mark_paid_records_who_and_when_once(clinic_a, staff, english):
    with clinic_context(clinic_a):
        bill = Expense.objects.create(category=staff["rent"], description="Laboratorio Dentalab", amount=Decimal("310"), due_date=date(2026, 1, 10))
        MarkExpensePaid(bill, actor=staff["admin"]).execute()
        bill.refresh_from_db()
        assert bill.paid_date == timezone.localdate(timezone=MADRID) and bill.paid_by == staff["admin"]
        with pytest.raises(ActionError, match="already paid"):
            MarkExpensePaid(bill, actor=staff["admin"]).execute()
        other = Expense.objects.create(category=staff["rent"], description="Guantes", amount=Decimal("80"), due_date=date(2026, 1, 10))
        with pytest.raises(ActionError, match="future"):
            MarkExpensePaid(other, paid_date=timezone.localdate(timezone=MADRID) + timedelta(days=1), actor=staff["admin"]).execute()
        for who in ("reception", "lucia"):
            with pytest.raises(ActionPermissionDenied):
                MarkExpensePaid(other, actor=staff[who]).execute()
        assert Expense.objects.get(pk=other.pk).paid_date is None


def test_expenses_by_month_counts_the_due_month_and_pay_by_month_the_approved(clinic_a, staff):
    with clinic_context(clinic_a):
        Expense.objects.filter(due_date__range=(date(2024, 1, 1), date(2024, 3, 31))).delete()
        Expense.objects.create(category=staff["rent"], description="a", amount=Decimal("100"), due_date=date(2024, 1, 31), paid_date=date(2024, 2, 3))
        Expense.objects.create(category=staff["rent"], description="b", amount=Decimal("50.50"), due_date=date(2024, 1, 2))
        Expense.objects.create(category=staff["rent"], description="c", amount=Decimal("20"), due_date=date(2024, 3, 1), paid_date=date(2024, 3, 1))
        months = expenses_by_month(date(2024, 1, 15), date(2024, 3, 2))
        assert [(m.month, m.total, m.paid, m.unpaid) for m in months] == [
            (date(2024, 1, 1), Decimal("150.50"), Decimal("100"), Decimal("50.50")), (date(2024, 2, 1), 0, 0, 0), (date(2024, 3, 1), Decimal("20"), Decimal("20"), 0)]
        assert [(m.month, m.total, m.statements) for m in pay_by_month(date(2024, 1, 1), date(2024, 2, 1))] == [(date(2024, 1, 1), 0, 0), (date(2024, 2, 1), 0, 0)]


# -- pay statements ---------------------------------------------------------------------------------

@pytest.fixture
def march(clinic_a, staff):
    """March 2024 in Madrid for three practitioners, one pay model each (DST began on 31 March at 02:00)."""
    with clinic_context(clinic_a):
        lucia, javier, carmen, patient, admin = staff["p_lucia"], staff["p_javier"], staff["p_carmen"], staff["patient"], staff["admin"]
        PayAgreement.objects.filter(practitioner__in=[lucia, javier, carmen]).delete()
        SavePayAgreement(PayAgreement(practitioner=lucia, model="percentage", percentage=Decimal("40"), effective_from=date(2024, 1, 1)), actor=admin).execute()
        SavePayAgreement(PayAgreement(practitioner=javier, model="fixed", fixed_amount=Decimal("1800"), effective_from=date(2024, 1, 1)), actor=admin).execute()
        SavePayAgreement(PayAgreement(practitioner=carmen, model="both", fixed_amount=Decimal("1000"), percentage=Decimal("10"),
                                      effective_from=date(2024, 3, 1)), actor=admin).execute()
        day = date(2024, 3, 12)
        appointment(lucia, patient, local(day, 9), price="60")
        refunded = appointment(lucia, patient, local(day, 10), price="300")
        appointment(lucia, patient, local(day, 11), status=Appointment.Status.CANCELLED, price="50")
        appointment(lucia, patient, local(day, 12), status=Appointment.Status.NO_SHOW, price="45")
        appointment(lucia, patient, local(date(2024, 3, 31), 23, 30), price="33.33")  # the month's last half hour
        appointment(lucia, patient, local(date(2024, 3, 1), 0, 15), price="70")  # 29 February in UTC
        appointment(lucia, patient, local(date(2024, 4, 1), 0, 30), price="500")  # April
        appointment(lucia, patient, local(date(2024, 2, 29), 23, 30), price="500")  # February
        appointment(javier, patient, local(day, 9), price="40")
        appointment(carmen, patient, local(day, 16), price="250")
        appointment(carmen, patient, local(day, 17), price="40")
        payment = RecordDeskPayment(patient=patient, appointment=refunded, amount=Decimal("300"), method=PatientPayment.Method.CARD, actor=admin).execute()
        RefundPayment(payment, amount=Decimal("100"), reason="Descuento", actor=admin).execute()
        return {**staff, "refunded": refunded}


def test_statements_for_each_pay_model_with_exact_amounts(clinic_a, march):
    with clinic_context(clinic_a):
        drafts = GeneratePayStatements(month=date(2024, 3, 1), actor=march["admin"]).execute()
        got = {s.practitioner_id: s for s in drafts}
        lucia, javier, carmen = got[march["p_lucia"].pk], got[march["p_javier"].pk], got[march["p_carmen"].pk]
        # 60 + (300 − 100 refunded) + 33.33 + 70 = 363.33 earned; 40 %: 24 + 80 + 13.33 + 28 = 145.33.
        assert (lucia.model, lucia.sessions, lucia.earnings_base, lucia.fixed_part, lucia.commission, lucia.total) == (
            "percentage", 4, Decimal("363.33"), 0, Decimal("145.33"), Decimal("145.33"))
        assert (javier.model, javier.sessions, javier.earnings_base, javier.commission, javier.total) == ("fixed", 1, Decimal("40"), 0, Decimal("1800"))
        assert (carmen.model, carmen.sessions, carmen.earnings_base, carmen.commission, carmen.total) == ("both", 2, Decimal("290"), Decimal("29"), Decimal("1029"))
        line = PayStatementLine.objects.get(statement=lucia, appointment=march["refunded"])
        assert (line.price, line.refunded, line.earned, line.commission) == (Decimal("300"), Decimal("100"), Decimal("200"), Decimal("80"))
        assert all(s.status == "draft" for s in drafts)
        # Carmen's agreement starts in March: she has no February statement.
        february = GeneratePayStatements(month=date(2024, 2, 1), actor=march["admin"]).execute()
        assert march["p_carmen"].pk not in {s.practitioner_id for s in february}
        assert PayStatement.objects.get(practitioner=march["p_lucia"], month=date(2024, 2, 1)).earnings_base == Decimal("500")


def test_generating_again_refreshes_drafts_and_never_an_approved_one(clinic_a, march, english):
    with clinic_context(clinic_a):
        GeneratePayStatements(month=date(2024, 3, 1), actor=march["admin"]).execute()
        lucia = PayStatement.objects.get(practitioner=march["p_lucia"], month=date(2024, 3, 1))
        with pytest.raises(ActionError, match="changed since"):
            ApprovePayStatement(lucia, expected_total=Decimal("1"), actor=march["admin"]).execute()
        for who in ("reception", "lucia", "javier"):
            with pytest.raises(ActionPermissionDenied):
                ApprovePayStatement(lucia, actor=march[who]).execute()
            with pytest.raises(ActionPermissionDenied):
                GeneratePayStatements(month=date(2024, 3, 1), actor=march[who]).execute()
        ApprovePayStatement(lucia, expected_total=Decimal("145.33"), actor=march["admin"]).execute()
        lucia.refresh_from_db()
        assert lucia.status == "approved" and lucia.approved_by == march["admin"] and lucia.approved_at is not None
        appointment(march["p_lucia"], march["patient"], local(date(2024, 3, 20), 9), price="1000")
        appointment(march["p_javier"], march["patient"], local(date(2024, 3, 20), 9), price="1000")
        GeneratePayStatements(month=date(2024, 3, 1), actor=march["admin"]).execute()
        assert PayStatement.objects.get(pk=lucia.pk).total == Decimal("145.33") and lucia.lines.count() == 4
        assert PayStatement.objects.get(practitioner=march["p_javier"], month=date(2024, 3, 1)).sessions == 2  # a draft follows the sessions
        with pytest.raises(ActionError, match="already approved"):
            ApprovePayStatement(lucia, actor=march["admin"]).execute()
        this_month = timezone.localdate(timezone=MADRID).replace(day=1)
        with pytest.raises(ActionError, match="have begun"):
            GeneratePayStatements(month=date(this_month.year + 1, 1, 1), actor=march["admin"]).execute()
        [current] = [s for s in GeneratePayStatements(month=this_month, actor=march["admin"]).execute() if s.practitioner_id == march["p_javier"].pk]
        with pytest.raises(ActionError, match="ended"):
            ApprovePayStatement(current, actor=march["admin"]).execute()
        assert ModelLogEntry.objects.filter(action="clinic.pay.approve", object_id=str(lucia.pk)).count() == 1


def test_the_database_freezes_an_approved_statement(clinic_a, march):
    with clinic_context(clinic_a):
        GeneratePayStatements(month=date(2024, 3, 1), actor=march["admin"]).execute()
        statement = PayStatement.objects.get(practitioner=march["p_carmen"], month=date(2024, 3, 1))
        ApprovePayStatement(statement, actor=march["admin"]).execute()
        line = statement.lines.first()
        attempts = [
            lambda: PayStatement.objects.filter(pk=statement.pk).update(total=Decimal("5000"), fixed_part=Decimal("4971")),
            lambda: PayStatement.objects.filter(pk=statement.pk).update(status="draft", approved_at=None),
            lambda: PayStatement.objects.filter(pk=statement.pk).delete(),
            lambda: PayStatementLine.objects.filter(pk=line.pk).update(commission=Decimal("99")),
            lambda: PayStatementLine.objects.filter(pk=line.pk).delete(),
            lambda: PayStatementLine.objects.create(statement=statement, appointment=march["refunded"], price=1, earned=1, commission=1),
        ]
        for attempt in attempts:
            with pytest.raises(IntegrityError, match="approved pay statement"), transaction.atomic():
                attempt()
        statement.refresh_from_db()
        assert (statement.total, statement.status, statement.lines.count()) == (Decimal("1029"), "approved", 2)


def test_pay_pages_each_role_sees_its_part(clinic_a, clinic_b, march, host_client, password):
    with clinic_context(clinic_a):
        GeneratePayStatements(month=date(2024, 3, 1), actor=march["admin"]).execute()
        javier = PayStatement.objects.get(practitioner=march["p_javier"], month=date(2024, 3, 1))
        lucia = PayStatement.objects.get(practitioner=march["p_lucia"], month=date(2024, 3, 1))
    month_url = reverse("clinic_pay:month") + "?mes=2024-03"
    admin = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    page = text(admin.get(month_url))
    assert "1.800,00 €" in page and "145,33 €" in page and "1.029,00 €" in page and "2.974,33 €" in page  # the month's total
    assert "Aprobar" in page and "Calcular los borradores" in page
    response = admin.post(reverse("clinic_pay:approve", args=[lucia.pk]), {"total": "145.33"})
    assert response.status_code == HTTPStatus.FOUND
    detail = text(admin.get(reverse("clinic_pay:detail", args=[lucia.pk])))
    assert "Aprobada" in detail and "363,33 €" in detail and "100,00 €" in detail and "31/03/2024 23:30" in detail
    assert "menos lo devuelto" in detail  # what a session earned, said on the page
    csv = admin.get(reverse("clinic_pay:csv") + "?mes=2024-03").content.decode()
    assert csv.count("\n") == 4 and "145.33" in csv and "1800.00" in csv

    doctor = login(host_client(clinic_a.primary_host), "lucia.fernandez@sonrisa.example", password)
    page = text(doctor.get(month_url))
    assert "145,33 €" in page and "1.800,00 €" not in page and "Aprobar" not in page and "Calcular" not in page
    assert doctor.get(reverse("clinic_pay:detail", args=[javier.pk])).status_code == HTTPStatus.NOT_FOUND
    assert doctor.get(reverse("clinic_pay:detail", args=[lucia.pk])).status_code == HTTPStatus.OK
    assert doctor.get(reverse("clinic_pay:csv") + "?mes=2024-03").content.decode().count("\n") == 2
    assert doctor.post(reverse("clinic_pay:approve", args=[javier.pk]), {"total": "1800"}).status_code == HTTPStatus.FOUND
    assert doctor.get(reverse("clinic_expense:index")).status_code == HTTPStatus.FOUND  # back to the dashboard
    desk = login(host_client(clinic_a.primary_host), "recepcion@sonrisa.example", password)
    for url in (month_url, reverse("clinic_pay:detail", args=[lucia.pk]), reverse("clinic_expense:index"), reverse("clinic_payagreement:index")):
        response = desk.get(url)
        assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith("/admin/"), url
    assert "Gastos" not in text(desk.get("/admin/")) and "Gastos" in text(admin.get("/admin/"))
    with clinic_context(clinic_a):
        assert PayStatement.objects.get(pk=javier.pk).status == "draft"

    other = login(host_client(clinic_b.primary_host), "admin@alamos.example", password)
    assert "Ramírez" not in text(other.get(month_url)) and "Fernández" not in text(other.get(month_url))
    assert other.get(reverse("clinic_pay:detail", args=[lucia.pk])).status_code == HTTPStatus.NOT_FOUND
    assert other.post(reverse("clinic_pay:approve", args=[javier.pk])).status_code == HTTPStatus.NOT_FOUND


def test_a_session_at_2330_on_the_last_day_counts_in_mexico_city(clinic_b):
    with clinic_context(clinic_b):
        admin = User.objects.get(email="admin@alamos.example")
        doctor = Practitioner.objects.order_by("sort_order").first()
        PayAgreement.objects.filter(practitioner=doctor).delete()
        SavePayAgreement(PayAgreement(practitioner=doctor, model="percentage", percentage=Decimal("35"), effective_from=date(2024, 1, 1)), actor=admin).execute()
        patient = Patient.objects.create(first_name="Zona", last_name="Horaria")
        appointment(doctor, patient, local(date(2024, 3, 31), 23, 30, MEXICO), price="600")  # 05:30 UTC on 1 April
        appointment(doctor, patient, local(date(2024, 3, 1), 0, 0, MEXICO), price="700")
        appointment(doctor, patient, local(date(2024, 2, 29), 22, 30, MEXICO), price="900")
        [mine] = [s for s in GeneratePayStatements(month=date(2024, 3, 1), actor=admin).execute() if s.practitioner_id == doctor.pk]
        assert (mine.sessions, mine.earnings_base, mine.total) == (2, Decimal("1300"), Decimal("455"))


# -- malformed input ---------------------------------------------------------------------------------

def refused_with_reason(response):
    """The form again with a translated reason under a field or on top (Wagtail's error block)."""
    page = response.content.decode()
    return 'class="error-message"' in page or 'class="errorlist"' in page


EXPENSE_FIELDS = {"description": "Material de ortodoncia", "amount": "125,50", "due_date": "2026-03-01", "paid_date": "", "reference": ""}


@pytest.mark.parametrize("field, value", [
    ("amount", "abc"), ("amount", "1e400"), ("amount", "-5"), ("amount", "0"), ("amount", "NaN"), ("amount", "Infinity"),
    ("description", "Guantes\x00"), ("reference", "\x00"), ("due_date", "2026-02-30"), ("due_date", "99999-01-01"), ("paid_date", "2026-13-01"),
    ("paid_date", "2999-01-01"), ("category", "99999999999999999999"), ("category", "\x00"), ("supplier", "99999999999999999999"),
])
def test_the_expense_form_refuses_what_it_cannot_read(clinic_a, staff, host_client, password, field, value):
    client = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    data = {**EXPENSE_FIELDS, "category": str(staff["rent"].pk), "supplier": "", field: value}
    with clinic_context(clinic_a):
        before = Expense.objects.count()
    response = client.post(reverse("clinic_expense:add"), data)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), response.status_code
    assert refused_with_reason(response), text(response)[-1500:]
    with clinic_context(clinic_a):
        assert Expense.objects.count() == before
    ok = client.post(reverse("clinic_expense:add"), {**EXPENSE_FIELDS, "category": str(staff["rent"].pk), "supplier": ""})
    assert ok.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        made = Expense.objects.get(description="Material de ortodoncia")
        assert (made.amount, made.recorded_by.email) == (Decimal("125.50"), "admin@sonrisa.example")
        assert ModelLogEntry.objects.filter(action="clinic.costs.save", object_id=str(made.pk)).exists()


@pytest.mark.parametrize("data", [
    {"amount": "1e400"}, {"due_day": "32"}, {"due_day": "99999999999999999999"}, {"frequency": "weekly"}, {"starts_on": "2026-02-30"},
    {"ends_on": "2025-12-31"}, {"description": "\x00"},
])
def test_the_recurring_expense_form_refuses_what_it_cannot_read(clinic_a, staff, host_client, password, data):
    client = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    good = {"category": str(staff["rent"].pk), "supplier": "", "description": "Alquiler", "amount": "1450", "frequency": "monthly",
            "starts_on": "2026-01-01", "ends_on": "", "due_day": "5", "active": "on"}
    with clinic_context(clinic_a):
        before = RecurringExpense.objects.count()
    response = client.post(reverse("clinic_recurringexpense:add"), {**good, **data})
    assert response.status_code == HTTPStatus.OK and refused_with_reason(response), text(response)[-1500:]
    with clinic_context(clinic_a):
        assert RecurringExpense.objects.count() == before


@pytest.mark.parametrize("data, message", [
    ({"percentage": "101"}, None), ({"percentage": "abc"}, None), ({"fixed_amount": "1e400"}, None), ({"effective_from": "2026-02-15"}, "primer día"),
    ({"effective_from": "2026-02-30"}, None), ({"model": "fixed", "percentage": "10"}, "Fijo: un importe"), ({"model": "weekly"}, None),
    ({"practitioner": "99999999999999999999"}, None),
])
def test_the_pay_agreement_form_refuses_what_it_cannot_read(clinic_a, staff, host_client, password, data, message):
    client = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    good = {"practitioner": str(staff["p_lucia"].pk), "model": "percentage", "fixed_amount": "0", "percentage": "40", "effective_from": "2030-01-01"}
    with clinic_context(clinic_a):
        before = PayAgreement.objects.count()
    response = client.post(reverse("clinic_payagreement:add"), {**good, **data})
    assert response.status_code == HTTPStatus.OK and refused_with_reason(response), text(response)[-1500:]
    if message:
        assert message in text(response)
    with clinic_context(clinic_a):
        assert PayAgreement.objects.count() == before


def test_pay_and_mark_paid_parameters_refuse_what_they_cannot_read(clinic_a, march, host_client, password):
    with clinic_context(clinic_a):
        GeneratePayStatements(month=date(2024, 3, 1), actor=march["admin"]).execute()
        statement = PayStatement.objects.get(practitioner=march["p_lucia"], month=date(2024, 3, 1))
        bill = Expense.objects.create(category=march["rent"], description="Factura luz", amount=Decimal("99"), due_date=date(2026, 1, 1))
    client = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    for month in ("2024-13", "abc", "2024-3", "\x00", "99999-01", "2024-03\x00", "1999-12"):
        for response in (client.get(reverse("clinic_pay:month"), {"mes": month}), client.get(reverse("clinic_pay:csv"), {"mes": month}),
                         client.post(reverse("clinic_pay:generate"), {"mes": month})):
            assert response.status_code == HTTPStatus.BAD_REQUEST and "AAAA-MM" in text(response), month
    for total in ("abc", "NaN", "Infinity", "\x00"):
        response = client.post(reverse("clinic_pay:approve", args=[statement.pk]), {"total": total})
        assert response.status_code == HTTPStatus.BAD_REQUEST, total
    response = client.post(reverse("clinic_pay:approve", args=[statement.pk]), {"total": "1e400"}, follow=True)
    assert "cambiado" in text(response)
    for paid in ("2026-02-30", "\x00", "mañana", "99999-01-01"):
        response = client.post(reverse("clinic_expense:mark_paid", args=[bill.pk]), {"paid_date": paid})
        assert response.status_code == HTTPStatus.BAD_REQUEST, paid
    huge = 99999999999999999999
    assert client.get(f"/admin/nominas/{huge}/").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"/admin/nominas/{huge}/aprobar/").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"/admin/clinic/expense/{huge}/pagado/").status_code == HTTPStatus.NOT_FOUND
    with clinic_context(clinic_a):
        assert PayStatement.objects.get(pk=statement.pk).status == "draft"
        assert Expense.objects.get(pk=bill.pk).paid_date is None
    response = client.post(reverse("clinic_expense:mark_paid", args=[bill.pk]), {"paid_date": "2026-01-15"})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        assert Expense.objects.get(pk=bill.pk).paid_date == date(2026, 1, 15)


def test_the_expense_list_flags_and_formats(clinic_a, clinic_b, staff, host_client, password):
    with clinic_context(clinic_a):
        Expense.objects.create(category=staff["rent"], supplier=staff["landlord"], description="Alquiler de enero", amount=Decimal("1450"),
                               due_date=date(2020, 1, 5))
        Expense.objects.create(category=staff["rent"], description="Alquiler pagado", amount=Decimal("1450"), due_date=date(2020, 2, 5),
                               paid_date=date(2020, 2, 4))
    client = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    page = text(client.get(reverse("clinic_expense:index"), {"q": "Alquiler"}))
    assert "1.450,00 €" in page and "Vencido" in page and "Pagado el 04/02/2020" in page and "Marcar como pagado" in page
    overdue = text(client.get(reverse("clinic_expense:index"), {"state": "overdue", "category": staff["rent"].pk}))
    assert "Alquiler de enero" in overdue and "Alquiler pagado" not in overdue
    paid = text(client.get(reverse("clinic_expense:index"), {"state": "paid", "supplier": staff["landlord"].pk}))
    assert "Alquiler de enero" not in paid
    ranged = text(client.get(reverse("clinic_expense:index"), {"due_date_from": "2020-02-01", "due_date_to": "2020-02-28"}))
    assert "Alquiler pagado" in ranged and "Alquiler de enero" not in ranged
    for bad in ({"state": "\x00"}, {"due_date_from": "2020-02-30"}, {"category": "99999999999999999999"}, {"supplier": "abc"}):
        assert client.get(reverse("clinic_expense:index"), bad).status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), bad
    other = login(host_client(clinic_b.primary_host), "admin@alamos.example", password)
    assert "Alquiler de enero" not in text(other.get(reverse("clinic_expense:index"), {"q": "Alquiler"}))


def test_the_demo_costs_are_seeded_once(clinic_a):
    from clinic.costs_demo import seed_costs
    from clinic.models.costs import add_months

    written = seed_costs(clinic_a)
    assert written > 40 and seed_costs(clinic_a) == 0
    with clinic_context(clinic_a):
        assert Expense.objects.count() == written and RecurringExpense.objects.count() == 4 and Supplier.objects.count() >= 7
        assert overdue_expenses() and expenses_due(within_days=7)
        assert sorted(PayAgreement.objects.values_list("model", flat=True)) == ["both", "fixed", "percentage"]
        this_month = timezone.localdate(timezone=MADRID).replace(day=1)
        by_month = {m: set(PayStatement.objects.filter(month=m).values_list("status", flat=True)) for m in PayStatement.objects.values_list("month", flat=True)}
        assert by_month == {add_months(this_month, -3): {"approved"}, add_months(this_month, -2): {"approved"}, add_months(this_month, -1): {"approved"},
                            this_month: {"draft"}}
        assert [m.statements for m in pay_by_month(add_months(this_month, -3), this_month)] == [3, 3, 3, 0]


@pytest.mark.parametrize("name", ["Alquiler\x00", "", "x" * 81])
def test_the_category_form_refuses_what_it_cannot_read(clinic_a, host_client, password, name):
    client = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    with clinic_context(clinic_a):
        before = ExpenseCategory.objects.count()
    response = client.post(reverse("clinic_expensecategory:add"), {"name": name, "active": "on"})
    assert response.status_code == HTTPStatus.OK and refused_with_reason(response)
    with clinic_context(clinic_a):
        assert ExpenseCategory.objects.count() == before
