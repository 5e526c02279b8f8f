"""Issue 12, item 2: two workers writing the recurring expenses at once, and two admins
computing the month's pay statements at once, each on its own connection with real
commits (so this module has no test transaction): one expense per period, one
statement per practitioner and month."""

import threading
from datetime import date
from decimal import Decimal

from django.db import connections

from clinic.actions.costs import GeneratePayStatements, generate_recurring_expenses
from clinic.models import Expense, ExpenseCategory, PayAgreement, PayStatement, PayStatementLine, Practitioner, RecurringExpense
from portal.models import User
from portal.tenancy import clinic_context, public_context


def clinic():
    from tenants.models import Clinic

    with public_context():
        return Clinic.objects.get(slug="sonrisa")


def at_once(n, work):
    """Run ``work(i)`` in ``n`` threads released together; the outcomes (or errors) in a list."""
    outcomes, barrier = [], threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            outcomes.append(work(i))
        except Exception as error:  # noqa: BLE001 - shown in the assertion
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_two_workers_at_once_write_each_period_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        sonrisa = clinic()
        with clinic_context(sonrisa):
            category, _ = ExpenseCategory.objects.get_or_create(name="Carrera (prueba)")
            rent = RecurringExpense.objects.create(category=category, description="Alquiler carrera", amount=Decimal("900"), starts_on=date(2025, 1, 1))
        try:
            def work(i):
                with clinic_context(sonrisa):
                    return generate_recurring_expenses(today=date(2025, 6, 15))

            outcomes = at_once(2, work)
            assert all(isinstance(o, int) for o in outcomes), outcomes
            with clinic_context(sonrisa):
                periods = list(Expense.objects.filter(recurring=rent).order_by("period").values_list("period", flat=True))
                assert periods == [date(2025, m, 1) for m in range(1, 7)]
                assert RecurringExpense.objects.get(pk=rent.pk).generated_through == date(2025, 6, 1)
        finally:
            with clinic_context(sonrisa):
                Expense.objects.filter(recurring=rent).delete()
                rent.delete()
                category.delete()


def test_two_admins_computing_the_month_at_once_get_one_statement_each(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        sonrisa = clinic()
        with clinic_context(sonrisa):
            admin = User.objects.get(email="admin@sonrisa.example")
            lucia = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
            agreement = PayAgreement.objects.create(practitioner=lucia, model="fixed", fixed_amount=Decimal("1500"), effective_from=date(2023, 1, 1))
        try:
            def work(i):
                with clinic_context(sonrisa):
                    return len(GeneratePayStatements(month=date(2023, 5, 1), actor=admin).execute())

            outcomes = at_once(3, work)
            assert all(isinstance(o, int) for o in outcomes), outcomes
            with clinic_context(sonrisa):
                statements = list(PayStatement.objects.filter(month=date(2023, 5, 1)))
                assert [(s.practitioner_id, s.total) for s in statements] == [(lucia.pk, Decimal("1500.00"))]
        finally:
            with clinic_context(sonrisa):
                PayStatementLine.objects.filter(statement__month=date(2023, 5, 1)).delete()
                PayStatement.objects.filter(month=date(2023, 5, 1)).delete()
                agreement.delete()
