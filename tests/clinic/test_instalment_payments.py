"""Issue 11, item 4: a patient pays a treatment plan's instalment online from the portal,
once; the desk records a payment against an instalment. Real localstripe over HTTP,
real signed webhooks, real PostgreSQL; the concurrent test uses real threads against
committed rows."""

import json
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from billing.models import StripeEvent
from clinic.actions.base import ActionError
from clinic.actions.payments import RecordDeskPayment
from clinic.actions.plans import AddPlanItem, AnswerEstimate, CreatePlan, ItemData, PresentPlan, paid_toward
from clinic.models import Estimate, Patient, PatientPayment, PaymentAttempt, Practitioner, Refund
from portal.models import User
from portal.tenancy import clinic_context, public_context
from tests.billing.test_charge_once import race
from tests.clinic.test_payments_once import signed, succeeded
from tests.conftest import save_card
from tests.helpers import login, text

DEMO_PATIENT = "paciente@sonrisa.example"


def accepted_estimate(patient, *, schedule=Estimate.Schedule.PHASES):
    """A two-phase plan (90 € now, 150 € before phase 2), accepted by the patient."""
    practitioner = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
    service = practitioner.services.first()
    plan = CreatePlan(patient, title="Plan por plazos", practitioner=practitioner).execute()
    AddPlanItem(plan, ItemData(service=service, tooth="16", unit_price=Decimal("90")), dental=True).execute()
    AddPlanItem(plan, ItemData(service=service, tooth="26", unit_price=Decimal("150"), phase=2), dental=True).execute()
    estimate = PresentPlan(plan, schedule=schedule, send_email=False).execute()
    return AnswerEstimate(estimate, accept=True, name=str(patient), via=Estimate.Via.LINK).execute()


def instalment_intents(stripe_api, instalment, schema):
    wanted = {"kind": "instalment", "instalment": str(instalment.pk), "clinic": schema}
    return [i for i in stripe_api.PaymentIntent.list(limit=100).data if wanted.items() <= i.metadata.to_dict().items()]


def test_two_pay_clicks_at_once_charge_an_instalment_once(django_db_setup, django_db_blocker, stripe_api, settings, password):
    """Two "Pay" POSTs at once for the first instalment: one succeeded Payment Intent in
    localstripe for its amount; the webhook delivered twice: one ledger row against the
    instalment and one receipt e-mail with the amount in the patient's language."""
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            user = User.objects.get(email=DEMO_PATIENT)
            patient = Patient.objects.get(user=user)
            kept = {"stripe_customer": patient.stripe_customer, "saved_card": patient.saved_card}
            estimate = accepted_estimate(patient)
            first = estimate.instalments.get(sequence=1)
            assert first.amount == Decimal("90.00")
        events = []
        mail.outbox.clear()
        try:
            browser = Client(HTTP_HOST=clinic.primary_host)
            login(browser, DEMO_PATIENT, password)
            page = browser.get(reverse("patients_portal:estimate", args=[estimate.pk]))
            assert reverse("patients_portal:pay_instalment", args=[first.pk]) in page.content.decode()
            card_page = browser.get(reverse("patients_portal:pay_instalment", args=[first.pk]))
            assert card_page.status_code == HTTPStatus.OK and "90,00" in text(card_page)
            body = json.dumps({"setup_intent": save_card(stripe_api, card_page.context["stripe"]["setupSecret"])})

            def pay(_i):
                client = Client(HTTP_HOST=clinic.primary_host)
                client.cookies.load({key: morsel.value for key, morsel in browser.cookies.items()})
                response = client.post(reverse("patients_portal:pay_instalment_charge", args=[first.pk]), body, content_type="application/json")
                return response.status_code, response.json().get("state")

            results = race(2, pay)
            assert all(isinstance(r, tuple) and r[0] == HTTPStatus.OK for r in results), results
            [intent] = instalment_intents(stripe_api, first, clinic.schema_name)
            assert (intent.status, intent.amount, intent.currency) == ("succeeded", 9000, "eur")
            platform = Client(HTTP_HOST=settings.PLATFORM_HOST)
            for _ in range(2):
                event = succeeded(intent)
                events.append(event["id"])
                assert platform.post("/stripe/webhook/", **signed(event, settings.STRIPE_WEBHOOK_SECRET)).status_code == HTTPStatus.OK
            with clinic_context(clinic):
                [payment] = PatientPayment.objects.filter(instalment=first)
                assert (payment.amount, payment.method, payment.patient_id) == (Decimal("90.00"), "online", patient.pk)
                assert paid_toward(first) == Decimal("90.00")
                assert PaymentAttempt.objects.get(instalment=first).status == PaymentAttempt.Status.SUCCEEDED
            receipts = [m for m in mail.outbox if estimate.number in m.subject]
            assert len(receipts) == 1 and receipts[0].to == [DEMO_PATIENT]
            assert "90,00\xa0€" in receipts[0].body  # the patient writes in Spanish
            # Paid: the card page no longer charges it, and the portal says so.
            assert browser.get(reverse("patients_portal:pay_instalment", args=[first.pk])).status_code == HTTPStatus.FOUND
            response = browser.post(reverse("patients_portal:pay_instalment_charge", args=[first.pk]), body, content_type="application/json")
            assert response.status_code == HTTPStatus.BAD_REQUEST
            assert len(instalment_intents(stripe_api, first, clinic.schema_name)) == 1
        finally:
            StripeEvent.objects.filter(pk__in=events).delete()
            with clinic_context(clinic):
                Refund.objects.filter(payment__instalment__estimate=estimate).delete()
                PatientPayment.objects.filter(instalment__estimate=estimate).delete()
                PaymentAttempt.objects.filter(instalment__estimate=estimate).delete()
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                purge_plans_of(patient)
                Patient.objects.filter(pk=patient.pk).update(**kept)


def purge_plans_of(patient):
    """Only the plans: the demo patient stays (tests.clinic.test_plans_race.purge drops the patient too)."""
    from tests.helpers import triggers_off

    with triggers_off("clinic_estimateinstalment", "clinic_estimateline", "clinic_estimate"), connection.cursor() as cursor:
        plans = "SELECT id FROM clinic_treatmentplan WHERE patient_id = %s"
        estimates = f"SELECT id FROM clinic_estimate WHERE plan_id IN ({plans})"
        for statement in (f"DELETE FROM clinic_estimateinstalment WHERE estimate_id IN ({estimates})",
                          f"DELETE FROM clinic_estimateline WHERE estimate_id IN ({estimates})",
                          f"DELETE FROM clinic_estimate WHERE plan_id IN ({plans})", f"DELETE FROM clinic_planitem WHERE plan_id IN ({plans})",
                          "DELETE FROM clinic_treatmentplan WHERE patient_id = %s"):
            cursor.execute(statement, [patient.pk])


# The tests below run in a rolled-back transaction each.


@pytest.mark.django_db
def test_nobody_else_pays_it_and_nothing_is_charged(clinic_a, clinic_b, client_a, client_b, host_client, password, stripe_server):
    with clinic_context(clinic_a):
        patient = Patient.objects.get(email=DEMO_PATIENT)
        estimate = accepted_estimate(patient)
        first = estimate.instalments.first()
        waiting = PresentPlan(_waiting(patient), send_email=False).execute()
        other = User.objects.create_user(email="otro.pago@example.com", password="x-Long-Password-1")
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    nosy = host_client(clinic_a.primary_host)
    login(nosy, other.email, "x-Long-Password-1")
    for url in (reverse("patients_portal:pay_instalment", args=[first.pk]), reverse("patients_portal:pay_instalment", args=[10**12])):
        assert nosy.get(url).status_code == HTTPStatus.NOT_FOUND
    assert nosy.post(reverse("patients_portal:pay_instalment_charge", args=[first.pk]), "{}", content_type="application/json").status_code == HTTPStatus.NOT_FOUND
    login(client_a, DEMO_PATIENT, password)
    # An estimate still waiting for the answer has nothing to pay yet.
    assert client_a.get(reverse("patients_portal:pay_instalment", args=[waiting.instalments.first().pk])).status_code == HTTPStatus.NOT_FOUND
    for body in ("[]", "null", '"x"', "{\"setup_intent\": 5}", "{}"):
        response = client_a.post(reverse("patients_portal:pay_instalment_charge", args=[first.pk]), body, content_type="application/json")
        assert response.status_code == HTTPStatus.BAD_REQUEST, body
    # Another clinic's session is worthless here.
    login(client_b, "paciente@alamos.example", password)
    client_b.defaults["HTTP_HOST"] = clinic_a.primary_host
    assert client_b.get(reverse("patients_portal:pay_instalment", args=[first.pk])).status_code in (HTTPStatus.FOUND, HTTPStatus.NOT_FOUND)
    with clinic_context(clinic_a):
        assert not PaymentAttempt.objects.filter(instalment=first).exists()


def _waiting(patient):
    practitioner = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
    plan = CreatePlan(patient, title="En espera", practitioner=practitioner).execute()
    AddPlanItem(plan, ItemData(service=practitioner.services.first(), unit_price=Decimal("40")), dental=True).execute()
    return plan


@pytest.mark.django_db
def test_the_desk_records_a_payment_against_an_instalment(clinic_a, client_a, password):
    with clinic_context(clinic_a):
        patient = Patient.objects.get(email=DEMO_PATIENT)
        estimate = accepted_estimate(patient)
        first, second = estimate.instalments.all()
        reception = User.objects.get(email="recepcion@sonrisa.example")
        with pytest.raises(ActionError):  # more than is left of it
            RecordDeskPayment(patient=patient, amount=Decimal("90.01"), method="card", instalment=first, actor=reception).execute()
        someone = Patient.objects.create(first_name="Otra", last_name="Persona")
        with pytest.raises(ActionError):  # another patient's
            RecordDeskPayment(patient=someone, amount=Decimal("10"), method="cash", instalment=first, actor=reception).execute()
        RecordDeskPayment(patient=patient, amount=Decimal("50"), method="cash", instalment=first, actor=reception).execute()
        assert paid_toward(first) == Decimal("50")
    login(client_a, "recepcion@sonrisa.example", password)
    form = client_a.get(reverse("clinic_patientpayment:add") + f"?instalment={first.pk}")
    assert form.status_code == HTTPStatus.OK and 'value="40.00"' in form.content.decode()  # what is left of it
    response = client_a.post(reverse("clinic_patientpayment:add"), {"patient": patient.pk, "instalment": first.pk, "amount": "40.00", "method": "card"})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    with clinic_context(clinic_a):
        assert paid_toward(first) == Decimal("90.00") and paid_toward(second) == Decimal("0")
    page = client_a.get(reverse("clinic_records:plan", args=[estimate.plan_id]))
    assert "pagado" in text(page)


@pytest.mark.django_db
def test_the_balance_counts_a_plan_once(clinic_a, issuer):
    """Paid ahead: in the patient's favour; invoiced: settled; work done beyond the
    invoices: pending, and the plan's visit is never counted a second time."""
    from django.utils import timezone

    from clinic.actions.plans import IssueInstalmentInvoice
    from clinic.balance import patient_balance
    from clinic.models import Appointment, PlanItem

    with clinic_context(clinic_a):
        patient = Patient.objects.create(first_name="Saldo", last_name="Plan")
        estimate = accepted_estimate(patient)
        first = estimate.instalments.get(sequence=1)
        reception = User.objects.get(email="recepcion@sonrisa.example")
        RecordDeskPayment(patient=patient, amount=Decimal("90"), method="cash", instalment=first, actor=reception).execute()
        balance = patient_balance(patient)
        assert (balance.paid, balance.invoiced, balance.uninvoiced, balance.credit) == (Decimal("90"), 0, 0, Decimal("90"))
        IssueInstalmentInvoice(first, actor=reception).execute()
        balance = patient_balance(patient)
        assert (balance.invoiced, balance.pending, balance.credit) == (Decimal("90.00"), 0, 0)
        # Phase 2 (150) is done in a completed visit: of the 150 done, the 90 paid ahead covers 90;
        # 60 is pending, and the visit itself is not counted a second time.
        item = PlanItem.objects.get(plan=estimate.plan, phase=2)
        start = timezone.now() - timedelta(days=1)
        visit = Appointment.objects.create(patient=patient, practitioner=Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example"),
                                           service=item.service, start=start, end=start + timedelta(minutes=30), price=item.amount,
                                           status=Appointment.Status.COMPLETED)
        PlanItem.objects.filter(pk=item.pk).update(appointment=visit, status=PlanItem.Status.DONE, done_at=start)
        balance = patient_balance(patient)
        assert (balance.uninvoiced, balance.pending) == (Decimal("60.00"), Decimal("60.00"))
