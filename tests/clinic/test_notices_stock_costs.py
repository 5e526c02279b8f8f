"""Issue 12, item 4: the two kinds of notice that come from inventory and costs. Low stock
for clinic admins and reception (who order and receive), expenses due or overdue for
clinic admins only; each gone once resolved, in the bell's count, and never another
clinic's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from clinic import notices
from clinic.actions.costs import MarkExpensePaid
from clinic.inventory.actions import ReceiveStock, UseStock
from clinic.inventory.models import Supply
from clinic.models import Expense, ExpenseCategory, Supplier
from portal.models import User
from portal.tenancy import clinic_context, clinic_zone

pytestmark = pytest.mark.django_db

ADMIN, RECEPTION, PRACTITIONER = "admin@{slug}.example", "recepcion@{slug}.example", "lucia.fernandez@sonrisa.example"


def seen(email):
    """The notices ``email`` sees in the current clinic, by key."""
    with translation.override("en"):
        return {n.key: n for n in notices.all_notices(notices.viewer_for(User.objects.get(email=email)))}


def mine(found, prefix):
    return [n for key, n in found.items() if key.startswith(prefix)]


def test_low_stock_for_admins_and_reception_until_a_delivery_lifts_it(clinic_a, clinic_b):
    with clinic_context(clinic_a):
        admin = User.objects.get(email=ADMIN.format(slug="sonrisa"))
        supply = Supply.objects.create(name="Guantes de nitrilo (aviso)", unit=Supply.Unit.BOX, minimum=Decimal("5"))
        ReceiveStock(supply, quantity=Decimal("6"), actor=admin).execute()
        assert not mine(seen(admin.email), f"low-stock:{supply.pk}:")  # above the minimum
        UseStock(supply, quantity=Decimal("3"), reason="Campaña de higiene", actor=admin).execute()
        [notice] = mine(seen(admin.email), f"low-stock:{supply.pk}:")
        assert notice.text == "Guantes de nitrilo (aviso): 3 boxes in stock (minimum 5)"
        assert notice.url == f"/admin/inventario/material/{supply.pk}/"
        assert mine(seen(RECEPTION.format(slug="sonrisa")), f"low-stock:{supply.pk}:")
        assert not mine(seen(PRACTITIONER), f"low-stock:{supply.pk}:")  # practitioners do not order

        # Read at 3 boxes; one more used: unread again (the key carries the stock).
        notices.mark_read(admin, [notice.key])
        assert notices.read_keys(admin, [notice.key]) == {notice.key}
        UseStock(supply, quantity=Decimal("1"), reason="Campaña de higiene", actor=admin).execute()
        [again] = mine(seen(admin.email), f"low-stock:{supply.pk}:")
        assert again.key != notice.key and "2 boxes in stock" in again.text

        ReceiveStock(supply, quantity=Decimal("10"), actor=admin).execute()
        assert not mine(seen(admin.email), f"low-stock:{supply.pk}:")
        UseStock(supply, quantity=Decimal("8"), reason="Campaña", actor=admin).execute()
        pk = supply.pk
    with clinic_context(clinic_b):  # the same id means nothing at another clinic
        assert not mine(seen(ADMIN.format(slug="alamos")), f"low-stock:{pk}:") or not Supply.objects.filter(pk=pk, name__contains="aviso").exists()
        assert not any("aviso" in n.text for n in seen(ADMIN.format(slug="alamos")).values())


def test_expenses_due_and_overdue_for_clinic_admins_only_until_paid(clinic_a, clinic_b):
    with clinic_context(clinic_a):
        admin = User.objects.get(email=ADMIN.format(slug="sonrisa"))
        today = timezone.localdate(timezone=clinic_zone())
        category = ExpenseCategory.objects.create(name="Laboratorio (aviso)")
        supplier = Supplier.objects.create(name="Laboratorio Dental Norte (aviso)")
        due = Expense.objects.create(category=category, supplier=supplier, description="Coronas de marzo", amount=Decimal("1234.50"),
                                     due_date=today + timedelta(days=3))
        late = Expense.objects.create(category=category, description="Prótesis", amount=Decimal("80"), due_date=today - timedelta(days=1))
        later = Expense.objects.create(category=category, description="Fuera de plazo", amount=Decimal("5"), due_date=today + timedelta(days=8))
        found = seen(admin.email)
        assert found[f"expense-due:{due.pk}"].text == f"Due on {due.due_date:%d/%m/%Y} · Coronas de marzo (Laboratorio Dental Norte (aviso)): 1,234.50\xa0€"  # English marks (portal.money)
        assert found[f"expense-overdue:{late.pk}"].text == f"Overdue since {late.due_date:%d/%m/%Y} · Prótesis (—): 80.00\xa0€"
        assert f"expense-due:{later.pk}" not in found  # more than a week ahead
        assert found[f"expense-due:{due.pk}"].url == f"/admin/clinic/expense/edit/{due.pk}/"
        for email in (RECEPTION.format(slug="sonrisa"), PRACTITIONER):
            assert not mine(seen(email), "expense-")

        MarkExpensePaid(late, actor=admin).execute()
        assert f"expense-overdue:{late.pk}" not in seen(admin.email)
    with clinic_context(clinic_b):
        assert not any("Coronas de marzo" in n.text for n in seen(ADMIN.format(slug="alamos")).values())


def test_the_bell_counts_them(clinic_a):
    with clinic_context(clinic_a):
        admin = User.objects.get(email=ADMIN.format(slug="sonrisa"))
        notices.forget_count(admin)
        before = notices.unread_count(admin)
        Expense.objects.create(category=ExpenseCategory.objects.create(name="Seguros (aviso)"), description="Seguro RC", amount=Decimal("300"),
                               due_date=timezone.localdate(timezone=clinic_zone()))
        notices.forget_count(admin)
        assert notices.unread_count(admin) == before + 1
