"""Issue 11, item 4: the patient's balance (invoiced, paid, pending, in their favour) and
the day's cash close per method (expected from the ledger, counted, difference, who)."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import ModelLogEntry

from clinic.actions.base import ActionError, ActionPermissionDenied
from clinic.actions.invoices import IssueInvoice, Line
from clinic.actions.payments import CloseCash, RecordDeskPayment, RefundPayment
from clinic.balance import expected_at_the_desk, patient_balance
from clinic.models import CashClose, Patient, PatientPayment
from portal.models import User
from portal.tenancy import clinic_context
from tests.helpers import MADRID, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(clinic_a, issuer):
    with clinic_context(clinic_a):
        return {"admin": User.objects.get(email="admin@sonrisa.example"), "reception": User.objects.get(email="recepcion@sonrisa.example"),
                "patient": Patient.objects.create(first_name="Saldo", last_name="Prueba")}


def test_the_balance_reads_invoices_and_payments(clinic_a, desk):
    with clinic_context(clinic_a):
        patient, admin = desk["patient"], desk["admin"]
        assert patient_balance(patient).pending == 0 and patient_balance(patient).credit == 0
        IssueInvoice(patient, lines=[Line("Endodoncia", Decimal("300"))], actor=admin).execute()
        payment = RecordDeskPayment(patient=patient, amount=Decimal("100"), method=PatientPayment.Method.CARD, actor=admin).execute()
        balance = patient_balance(patient)
        assert (balance.invoiced, balance.paid, balance.pending, balance.credit) == (Decimal("300"), Decimal("100"), Decimal("200"), 0)
        RecordDeskPayment(patient=patient, amount=Decimal("250"), method=PatientPayment.Method.CASH, actor=admin).execute()
        assert patient_balance(patient).credit == Decimal("50")
        RefundPayment(payment, amount=Decimal("50"), reason="Sobraba", actor=admin).execute()
        balance = patient_balance(patient)
        assert (balance.paid, balance.pending, balance.credit) == (Decimal("300"), 0, 0)


def test_the_cash_close_expects_the_days_desk_money_less_refunds(clinic_a, desk, english):
    with clinic_context(clinic_a):
        patient, reception, admin = desk["patient"], desk["reception"], desk["admin"]
        today = timezone.localdate(timezone=MADRID)
        cash = RecordDeskPayment(patient=patient, amount=Decimal("60"), method=PatientPayment.Method.CASH, actor=reception).execute()
        RecordDeskPayment(patient=patient, amount=Decimal("45.50"), method=PatientPayment.Method.CARD, actor=reception).execute()
        yesterday = PatientPayment.objects.create(patient=patient, amount=Decimal("999"), currency="EUR", method=PatientPayment.Method.CASH,
                                                  received_at=datetime.combine(today - timedelta(days=1), time(23, 30), MADRID))
        PatientPayment.objects.create(patient=patient, amount=Decimal("20"), currency="EUR", method=PatientPayment.Method.ONLINE,
                                      stripe_payment_intent="pi_cash_test")  # online money never reaches the counter
        RefundPayment(cash, amount=Decimal("10"), reason="Descuento", actor=admin).execute()
        expected = expected_at_the_desk(today)
        assert expected["cash"] == {"received": Decimal("60"), "refunded": Decimal("10"), "expected": Decimal("50")}
        assert expected["card"]["expected"] == Decimal("45.50") and expected["transfer"]["expected"] == 0
        assert yesterday.pk and expected_at_the_desk(today - timedelta(days=1))["cash"]["expected"] == Decimal("999")
        with pytest.raises(ActionError, match="each method"):
            CloseCash(day=today, counted={"cash": Decimal("48")}, actor=reception).execute()
        with pytest.raises(ActionPermissionDenied):
            CloseCash(day=today, counted={"cash": 1, "card": 1, "transfer": 0}, actor=User.objects.get(email="lucia.fernandez@sonrisa.example")).execute()
        CloseCash(day=today, counted={"cash": Decimal("48"), "card": Decimal("45.50"), "transfer": Decimal("0")}, note="Faltan 2 €",
                  actor=reception).execute()
        rows = {c.method: c for c in CashClose.objects.filter(day=today)}
        assert (rows["cash"].expected, rows["cash"].counted, rows["cash"].difference) == (Decimal("50"), Decimal("48"), Decimal("-2"))
        assert rows["card"].difference == 0 and rows["cash"].closed_by == reception
        entry = ModelLogEntry.objects.filter(action="clinic.cash.close").latest("timestamp")  # committed journeys may have closed earlier days
        assert entry.data["methods"]["cash"] == {"expected": "50.00", "counted": "48.00", "difference": "-2.00"}
        with pytest.raises(ActionError, match="already closed"):
            CloseCash(day=today, counted={"cash": 0, "card": 0, "transfer": 0}, actor=reception).execute()
        with pytest.raises(IntegrityError), transaction.atomic():  # the difference is what the database checks too
            CashClose.objects.create(day=today - timedelta(days=3), method="cash", expected=10, counted=10, difference=5, currency="EUR", closed_by=reception)


def test_the_cash_page(clinic_a, desk, host_client, password):
    with clinic_context(clinic_a):
        RecordDeskPayment(patient=desk["patient"], amount=Decimal("60"), method=PatientPayment.Method.CASH, actor=desk["reception"]).execute()
    client = host_client(clinic_a.primary_host)
    client.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": password})
    page = client.get("/admin/caja/", HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == HTTPStatus.OK and "60,00 €" in text(page) and "Saldo Prueba" in text(page)
    for bad in ({"contado_cash": "-1", "contado_card": "0", "contado_transfer": "0"}, {"contado_cash": "1e40", "contado_card": "0", "contado_transfer": "0"},
                {"contado_cash": "abc", "contado_card": "0", "contado_transfer": "0"}, {"contado_cash": "NaN", "contado_card": "0", "contado_transfer": "0"},
                {"contado_cash": "60"}):
        assert client.post("/admin/caja/", bad, HTTP_ACCEPT_LANGUAGE="es").status_code == HTTPStatus.BAD_REQUEST, bad
    assert client.get("/admin/caja/?dia=2026-02-30").status_code == HTTPStatus.BAD_REQUEST
    done = client.post("/admin/caja/", {"contado_cash": "60,00", "contado_card": "0", "contado_transfer": "0"})
    assert done.status_code == HTTPStatus.FOUND
    closed = text(client.get(done["Location"], HTTP_ACCEPT_LANGUAGE="es"))
    assert "Cerrada por Ana Recepción el" in closed and "60,00 €" in closed
    practitioner = host_client(clinic_a.primary_host)
    practitioner.post("/accounts/login/", {"login": "lucia.fernandez@sonrisa.example", "password": password})
    assert practitioner.get("/admin/caja/").status_code == HTTPStatus.FOUND  # turned away to the dashboard
