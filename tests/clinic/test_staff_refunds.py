"""Issue 11, item 4 (refunds started by staff): each refund its own row with who and why;
an online payment refunded through Stripe once, with Stripe's refund id; a desk payment
recorded as refunded; never more than was paid, even twice at once (real localstripe)."""

from decimal import Decimal
from http import HTTPStatus

import pytest
from wagtail.models import ModelLogEntry

from clinic.actions.base import ActionError, ActionPermissionDenied
from clinic.actions.payments import RecordDeskPayment, RefundPayment
from clinic.models import Patient, PatientPayment, Refund
from portal.models import User
from portal.tenancy import clinic_context
from tests.clinic.test_payments_once import held, paid, pay, patient_client  # noqa: F401 - fixtures
from tests.helpers import text

pytestmark = pytest.mark.django_db


def test_an_online_payment_is_refunded_through_stripe_once(paid, clinic_a, stripe_api, english):  # noqa: F811
    with clinic_context(clinic_a):
        admin = User.objects.get(email="admin@sonrisa.example")
        refund = RefundPayment(paid, amount=Decimal("20.00"), reason="Tratamiento no realizado", actor=admin).execute()
        assert refund.status == Refund.Status.SUCCEEDED and refund.stripe_refund.startswith("re_")
        assert refund.requested_by == admin and refund.reason == "Tratamiento no realizado"
        with pytest.raises(ActionError, match="Refund between 0.01 and 30.00"):
            RefundPayment(paid, amount=Decimal("30.01"), reason="otra", actor=admin).execute()
        second = RefundPayment(paid, amount=Decimal("30.00"), reason="El resto", actor=admin).execute()
        assert second.status == Refund.Status.SUCCEEDED
        assert PatientPayment.objects.get(pk=paid.pk).refunded_amount == Decimal("50.00")
        entry = ModelLogEntry.objects.filter(action="clinic.refund.staff").latest("timestamp")
        assert entry.user == admin and entry.data["amount"] == "30.00"
    refunds = stripe_api.Refund.list(payment_intent=paid.stripe_payment_intent).data
    assert sorted(r.amount for r in refunds) == [2000, 3000]


def test_a_desk_payment_is_recorded_as_refunded_and_refusals_change_nothing(clinic_a, english):
    with clinic_context(clinic_a):
        admin = User.objects.get(email="admin@sonrisa.example")
        patient = Patient.objects.get(email="paciente@sonrisa.example")
        payment = RecordDeskPayment(patient=patient, amount=Decimal("60"), method=PatientPayment.Method.CASH, actor=admin).execute()
        for amount, reason in ((Decimal("0"), "x"), (Decimal("-5"), "x"), (Decimal("60.01"), "x"), (Decimal("10"), "  ")):
            with pytest.raises(ActionError):
                RefundPayment(payment, amount=amount, reason=reason, actor=admin).execute()
        for email in ("recepcion@sonrisa.example", "lucia.fernandez@sonrisa.example"):
            with pytest.raises(ActionPermissionDenied):
                RefundPayment(payment, amount=Decimal("10"), reason="x", actor=User.objects.get(email=email)).execute()
        assert not Refund.objects.filter(payment=payment).exists()
        refund = RefundPayment(payment, amount=Decimal("60"), reason="Pagó dos veces", actor=admin).execute()
        assert refund.status == Refund.Status.SUCCEEDED and refund.stripe_refund is None and refund.completed_at
        assert PatientPayment.objects.get(pk=payment.pk).refunded_amount == Decimal("60")


def test_the_refund_page(clinic_a, host_client, password):
    with clinic_context(clinic_a):
        admin = User.objects.get(email="admin@sonrisa.example")
        patient = Patient.objects.get(email="paciente@sonrisa.example")
        payment = RecordDeskPayment(patient=patient, amount=Decimal("45"), method=PatientPayment.Method.CARD, actor=admin).execute()
    url = f"/admin/pagos/{payment.pk}/devolver/"
    for email in ("recepcion@sonrisa.example", "paciente@sonrisa.example"):
        client = host_client(clinic_a.primary_host)
        client.post("/accounts/login/", {"login": email, "password": password})
        assert client.get(url).status_code == HTTPStatus.FOUND  # turned away
    client = host_client(clinic_a.primary_host)
    client.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == HTTPStatus.OK and "45,00" in text(page)
    bad = client.post(url, {"amount": "45.01", "reason": "x"}, HTTP_ACCEPT_LANGUAGE="es")
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert client.post(url, {"amount": "abc", "reason": "a\x00b"}).status_code == HTTPStatus.BAD_REQUEST
    done = client.post(url, {"amount": "15", "reason": "Descuento olvidado"})
    assert done.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        assert PatientPayment.objects.get(pk=payment.pk).refunded_amount == Decimal("15")
