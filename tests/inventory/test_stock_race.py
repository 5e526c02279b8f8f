"""Issue 12, item 1: movements at once. Separate threads and connections with real commits,
so this module has no test transaction (like tests/clinic/test_rooms_race.py); it removes
what it committed (the ledger's trigger is switched off for that clean-up only)."""

import threading
from decimal import Decimal

from django.db import connection, connections

from clinic.actions.base import ActionError
from clinic.inventory.actions import ReceiveStock, UseStock
from clinic.inventory.models import StockMovement, Supply
from portal.models import User
from portal.tenancy import clinic_context, public_context
from tests.helpers import triggers_off


def run_at_once(clinic, calls):
    """Each call in its own thread and connection, released together; returns the outcomes."""
    outcomes, barrier = [], threading.Barrier(len(calls))

    def attempt(call):
        try:
            with clinic_context(clinic):
                barrier.wait()
                call()
            outcomes.append("done")
        except ActionError as error:
            outcomes.append(error.message)
        except Exception as error:  # noqa: BLE001 - shown in the assertion
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_ten_movements_at_once_all_count_and_stock_never_goes_negative(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tenants.models import Clinic

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            lucia = User.objects.get(email="lucia.fernandez@sonrisa.example")
            reception = User.objects.get(email="recepcion@sonrisa.example")
            supply = Supply.objects.create(name="Carrera de guantes", minimum=Decimal("1"))
            ReceiveStock(supply, quantity=Decimal("6"), actor=reception).execute()
        try:
            # Six uses of 1 and four receipts of 0.5 at once: whatever the order, 6 − 6 + 2 = 2,
            # and no use can find less than it needs (6 are there before any use).
            calls = [lambda: UseStock(supply, quantity=Decimal("1"), reason="Carrera", actor=lucia).execute() for _ in range(6)]
            calls += [lambda: ReceiveStock(supply, quantity=Decimal("0.5"), actor=reception).execute() for _ in range(4)]
            assert run_at_once(clinic, calls) == ["done"] * 10
            with clinic_context(clinic):
                supply.refresh_from_db()
                assert supply.stock == Decimal("2")
                ledger = list(StockMovement.objects.filter(supply=supply).order_by("pk").values_list("quantity", "stock_after"))
                assert len(ledger) == 11 and sum(q for q, _after in ledger) == Decimal("2")
                # Each movement was written under the supply's row lock, so in id order every
                # stock_after is the one before plus its own quantity: none was lost or read stale.
                assert all(after == ledger[n - 1][1] + q for n, (q, after) in enumerate(ledger) if n)
                assert all(after >= 0 for _q, after in ledger)

            # Ten uses of 1 at once against a stock of 2: two pass, eight are refused by name,
            # the stock ends at zero and the refused ones wrote nothing.
            calls = [lambda: UseStock(supply, quantity=Decimal("1"), reason="Carrera", actor=lucia).execute() for _ in range(10)]
            outcomes = run_at_once(clinic, calls)
            assert outcomes.count("done") == 2, outcomes
            refused = [o for o in outcomes if o != "done"]
            assert len(refused) == 8 and all(o.startswith(("Not enough “Carrera de guantes”", "No hay suficiente «Carrera de guantes»")) for o in refused), refused
            with clinic_context(clinic):
                supply.refresh_from_db()
                assert supply.stock == Decimal("0")
                assert StockMovement.objects.filter(supply=supply).count() == 13
        finally:
            with clinic_context(clinic), triggers_off("inventory_stockmovement"):
                StockMovement.objects.filter(supply=supply).delete()
                from wagtail.models import ModelLogEntry

                ModelLogEntry.objects.filter(object_id=str(supply.pk), action__startswith="inventory.").delete()
                Supply.objects.filter(pk=supply.pk).delete()
            connection.set_schema_to_public()
