"""Issue 11, item 4: a patient pays an outstanding invoice online from the portal, once;
the desk records payments against an invoice (financing too); the balance and the CSV
export of payments. Real localstripe over HTTP, real signed webhooks, real PostgreSQL;
the concurrent test uses real threads against committed rows."""

import csv
import io
import json
from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from billing.models import StripeEvent
from clinic.actions.base import ActionError
from clinic.actions.invoices import IssueInvoice, Line
from clinic.actions.payments import RecordDeskPayment
from clinic.balance import patient_balance
from clinic.models import Invoice, InvoicingSettings, Patient, PatientPayment, PaymentAttempt, Refund
from portal.models import User
from portal.tenancy import clinic_context, public_context
from tests.billing.test_charge_once import race
from tests.clinic.test_invoices_race import purge_invoices
from tests.clinic.test_payments_once import intents_of, signed, succeeded
from tests.conftest import save_card
from tests.helpers import MADRID, login, text

DEMO_PATIENT = "paciente@sonrisa.example"
CARD_FAILS = "4000000000000341"  # localstripe: attaches, then its charge is declined
CARD_3DS = "4000000000003220"  # localstripe: needs authentication (3-D Secure)


def pay_url(invoice):
    return reverse("patients_portal:pay_invoice", args=[invoice.pk])


def charge_url(invoice):
    return reverse("patients_portal:pay_invoice_charge", args=[invoice.pk])


def invoice_intents(stripe_api, invoice, schema):
    """Payment Intents in localstripe (over HTTP) whose metadata names this invoice."""
    wanted = {"kind": "invoice", "invoice": str(invoice.pk), "clinic": schema}
    return [i for i in stripe_api.PaymentIntent.list(limit=100).data if wanted.items() <= i.metadata.to_dict().items()]


def test_two_pay_clicks_at_once_charge_an_invoice_once(django_db_setup, django_db_blocker, stripe_api, settings, password):
    """Two "Pay" POSTs at once for one invoice: one succeeded Payment Intent in localstripe
    for what is outstanding, one attempt; the webhook delivered twice: one ledger row
    against the invoice and one receipt e-mail."""
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            purge_invoices()
            issuer = InvoicingSettings.load()
            issuer.legal_name, issuer.tax_id, issuer.address = "Clínica Dental Sonrisa S.L.", "B12345674", "Calle de Alcalá 120, Madrid"
            issuer.save()
            patient = Patient.objects.get(email=DEMO_PATIENT)
            kept = {"stripe_customer": patient.stripe_customer, "saved_card": patient.saved_card}
            invoice = IssueInvoice(patient, lines=[Line("Endodoncia", Decimal("120.00"))]).execute()
        events = []
        mail.outbox.clear()
        try:
            browser = Client(HTTP_HOST=clinic.primary_host)
            login(browser, DEMO_PATIENT, password)
            secret = browser.get(pay_url(invoice)).context["stripe"]["setupSecret"]
            body = json.dumps({"setup_intent": save_card(stripe_api, secret)})

            def pay(_i):
                client = Client(HTTP_HOST=clinic.primary_host)
                client.cookies.load({key: morsel.value for key, morsel in browser.cookies.items()})
                response = client.post(charge_url(invoice), body, content_type="application/json")
                return response.status_code, response.json().get("state")

            results = race(2, pay)
            assert all(isinstance(r, tuple) and r[0] == HTTPStatus.OK for r in results), results
            assert {state for _status, state in results} <= {"succeeded", "processing"}
            [intent] = invoice_intents(stripe_api, invoice, clinic.schema_name)
            assert (intent.status, intent.amount, intent.currency) == ("succeeded", 12000, "eur")
            with clinic_context(clinic):
                [attempt] = PaymentAttempt.objects.filter(invoice=invoice)
                assert attempt.stripe_payment_intent == intent.id and attempt.amount == Decimal("120.00")
                assert intents_of(stripe_api, Patient.objects.get(pk=patient.pk).stripe_customer) == [intent]

            platform = Client(HTTP_HOST=settings.PLATFORM_HOST)
            for _ in range(2):  # the same payment delivered twice, as two events
                event = succeeded(intent)
                events.append(event["id"])
                assert platform.post("/stripe/webhook/", **signed(event, settings.STRIPE_WEBHOOK_SECRET)).status_code == HTTPStatus.OK
            with clinic_context(clinic):
                [payment] = PatientPayment.objects.filter(invoice=invoice)
                assert (payment.amount, payment.method, payment.stripe_payment_intent) == (Decimal("120.00"), "online", intent.id)
                assert PaymentAttempt.objects.get(pk=attempt.pk).status == PaymentAttempt.Status.SUCCEEDED
                assert Invoice.objects.with_outstanding().get(pk=invoice.pk).is_paid
            receipts = [m for m in mail.outbox if invoice.full_number in m.subject]
            assert len(receipts) == 1 and receipts[0].to == [DEMO_PATIENT]
        finally:
            StripeEvent.objects.filter(pk__in=events).delete()
            with clinic_context(clinic):
                Refund.objects.filter(payment__invoice=invoice).delete()
                PatientPayment.objects.filter(invoice=invoice).delete()
                PaymentAttempt.objects.filter(invoice=invoice).delete()
                purge_invoices()
                Patient.objects.filter(pk=patient.pk).update(**kept)


# The tests below run in a rolled-back transaction each (their fixtures ask for ``db``).


@pytest.fixture
def patient_client(client_a, password):
    return login(client_a, DEMO_PATIENT, password)


@pytest.fixture
def people(clinic_a, issuer):
    with clinic_context(clinic_a):
        return {"patient": Patient.objects.get(email=DEMO_PATIENT), "reception": User.objects.get(email="recepcion@sonrisa.example"),
                "admin": User.objects.get(email="admin@sonrisa.example")}


@pytest.fixture
def invoice(clinic_a, people):
    """An invoice of 120 € to the demo patient."""
    with clinic_context(clinic_a):
        return IssueInvoice(people["patient"], lines=[Line("Endodoncia", Decimal("100.00")), Line("Radiografía", Decimal("20.00"))],
                            actor=people["reception"]).execute()


@pytest.fixture
def pay(patient_client, stripe_api):
    """The patient pays ``invoice`` on its card page with a new card: the JSON answer."""

    def run(invoice, number="4242424242424242"):
        page = patient_client.get(pay_url(invoice))
        assert page.status_code == HTTPStatus.OK, page.content[:300]
        setup_intent = save_card(stripe_api, page.context["stripe"]["setupSecret"], number)
        if number == CARD_3DS:  # the bank's step when saving the card, as Stripe.js completes it
            stripe_api.SetupIntent.confirm(setup_intent)
        return patient_client.post(charge_url(invoice), json.dumps({"setup_intent": setup_intent}), content_type="application/json")

    return run


def the_intent(clinic, invoice, stripe_api):
    with clinic_context(clinic):
        attempt = PaymentAttempt.objects.filter(invoice=invoice).order_by("-pk").first()
    return stripe_api.PaymentIntent.retrieve(attempt.stripe_payment_intent)


def test_paying_an_invoice_records_one_payment_and_one_receipt_in_the_patients_language(
        invoice, pay, clinic_a, people, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    with clinic_context(clinic_a):
        User.objects.filter(email=DEMO_PATIENT).update(language="en")
    response = pay(invoice)
    assert response.status_code == HTTPStatus.OK and response.json()["state"] == "succeeded"
    assert response.json()["status_url"] == reverse("patients_portal:appointments") + "#invoices"
    intent = the_intent(clinic_a, invoice, stripe_api)
    with clinic_context(clinic_a):
        attempt = PaymentAttempt.objects.get(invoice=invoice)
    assert intent.amount == 12000 and intent.metadata.to_dict() == {"kind": "invoice", "clinic": clinic_a.schema_name, "invoice": str(invoice.pk), "attempt": str(attempt.pk)}
    mail.outbox.clear()
    for _ in range(2):  # delivered twice, two event ids
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver_webhook(succeeded(intent)).status_code == HTTPStatus.OK
    with clinic_context(clinic_a):
        [payment] = PatientPayment.objects.filter(invoice=invoice)
        assert payment.patient == people["patient"] and payment.amount == Decimal("120.00") and payment.currency == "EUR"
    [receipt] = mail.outbox
    assert receipt.to == [DEMO_PATIENT] and receipt.subject == f"Payment received for invoice {invoice.full_number}"
    assert f"We have received your payment of 120.00\u00a0€ for invoice {invoice.full_number}." in receipt.body
    assert "The invoice is now paid in full." in receipt.body
    assert f"/cuenta/recibos/{payment.pk}/" in receipt.body


def test_the_receipt_speaks_spanish_to_a_spanish_patient(invoice, pay, clinic_a, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    with clinic_context(clinic_a):
        User.objects.filter(email=DEMO_PATIENT).update(language="es")
    pay(invoice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(the_intent(clinic_a, invoice, stripe_api)))
    [receipt] = mail.outbox
    assert receipt.subject == f"Pago recibido de la factura {invoice.full_number}"
    assert f"Hemos recibido tu pago de 120,00\u00a0€ de la factura {invoice.full_number}." in receipt.body


def test_a_partly_paid_invoice_charges_only_the_rest(invoice, pay, clinic_a, people, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    with clinic_context(clinic_a):
        RecordDeskPayment(patient=people["patient"], invoice=invoice, amount=Decimal("45.50"), method=PatientPayment.Method.CASH,
                          actor=people["reception"]).execute()
    response = pay(invoice)
    assert response.json()["state"] == "succeeded"
    intent = the_intent(clinic_a, invoice, stripe_api)
    assert intent.amount == 7450
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(intent))
    with clinic_context(clinic_a):
        assert sorted(PatientPayment.objects.filter(invoice=invoice).values_list("amount", flat=True)) == [Decimal("45.50"), Decimal("74.50")]
        assert Invoice.objects.with_outstanding().get(pk=invoice.pk).outstanding == 0
    assert "74,50\u00a0€" in mail.outbox[0].body or "74.50\u00a0€" in mail.outbox[0].body


def test_a_foreign_payment_intent_records_nothing(invoice, pay, clinic_a, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    """A correctly signed event for another Payment Intent naming this invoice adds no row."""
    pay(invoice)
    ours = the_intent(clinic_a, invoice, stripe_api)
    card = stripe_api.PaymentMethod.create(type="card", card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"})
    foreign = stripe_api.PaymentIntent.create(amount=12000, currency="eur", payment_method=card.id, confirm=True, metadata=ours.metadata.to_dict())
    event = succeeded(foreign)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_webhook(event).status_code == HTTPStatus.OK
    stored = StripeEvent.objects.get(pk=event["id"])
    assert stored.status == StripeEvent.Status.IGNORED and foreign.id in stored.error
    with clinic_context(clinic_a):
        assert not PatientPayment.objects.filter(invoice=invoice).exists()
    assert mail.outbox == []


def test_a_failed_payment_can_be_tried_again(invoice, pay, clinic_a, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    """A declined card: 402 with Stripe's reason and the attempt failed. A 3-D Secure step
    the bank then refuses (``payment_intent.payment_failed``): the attempt failed by the
    webhook. Each time the next try is a new attempt, and finally one payment."""
    refused = pay(invoice, CARD_FAILS)
    assert refused.status_code == HTTPStatus.PAYMENT_REQUIRED and refused.json()["error"]
    with clinic_context(clinic_a):
        assert list(PaymentAttempt.objects.filter(invoice=invoice).values_list("status", flat=True)) == ["failed"]
    needs_action = pay(invoice, CARD_3DS)
    assert needs_action.json().get("state") == "requires_action", needs_action.content
    pending = the_intent(clinic_a, invoice, stripe_api)
    event = {"id": "evt_invoice_3ds_failed", "object": "event", "type": "payment_intent.payment_failed", "created": 1_700_000_000,
             "data": {"object": {**pending.to_dict(), "status": "requires_payment_method", "last_payment_error": {"message": "Authentication failed"}}}}
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(event)
    assert StripeEvent.objects.get(pk=event["id"]).status == StripeEvent.Status.PROCESSED
    with clinic_context(clinic_a):
        statuses = list(PaymentAttempt.objects.filter(invoice=invoice).order_by("pk").values_list("status", "failure_message"))
    assert statuses[1] == ("failed", "Authentication failed")
    assert pay(invoice).json()["state"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(the_intent(clinic_a, invoice, stripe_api)))
    with clinic_context(clinic_a):
        assert PatientPayment.objects.filter(invoice=invoice).count() == 1
        assert PaymentAttempt.objects.filter(invoice=invoice).count() == 3


def test_the_database_holds_one_pending_attempt_per_invoice_and_one_target(invoice, clinic_a):
    from django.db import IntegrityError, transaction

    with clinic_context(clinic_a):
        PaymentAttempt.objects.create(invoice=invoice, amount=120, currency="EUR")
        with pytest.raises(IntegrityError), transaction.atomic():
            PaymentAttempt.objects.create(invoice=invoice, amount=120, currency="EUR")
        with pytest.raises(IntegrityError), transaction.atomic():
            PaymentAttempt.objects.create(amount=120, currency="EUR")  # neither an appointment nor an invoice


def test_a_payment_landing_after_the_desk_was_paid_refunds_the_excess(invoice, pay, clinic_a, people, stripe_api, deliver_webhook,
                                                                     django_capture_on_commit_callbacks):
    pay(invoice)
    with clinic_context(clinic_a):  # the desk took 50 € while the card was being charged
        PatientPayment.objects.create(patient=people["patient"], invoice=invoice, amount=Decimal("50"), currency="EUR", method="cash")
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(the_intent(clinic_a, invoice, stripe_api)))
    with clinic_context(clinic_a):
        online = PatientPayment.objects.get(invoice=invoice, method=PatientPayment.Method.ONLINE)
        [refund] = Refund.objects.filter(payment=online)
        assert (refund.amount, refund.status, online.refunded_amount) == (Decimal("50.00"), Refund.Status.SUCCEEDED, Decimal("50.00"))
        assert Invoice.objects.with_outstanding().get(pk=invoice.pk).outstanding == 0


def test_the_balance_counts_an_invoice_payment_once(invoice, pay, clinic_a, people, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):
    with clinic_context(clinic_a):
        before = patient_balance(people["patient"])
    pay(invoice)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(the_intent(clinic_a, invoice, stripe_api)))
    with clinic_context(clinic_a):
        after = patient_balance(people["patient"])
        assert after.invoiced == before.invoiced and after.paid - before.paid == Decimal("120.00")
        assert before.pending - after.pending == Decimal("120.00") and after.credit == before.credit
        # A desk payment against a second invoice, then a refund of part of it.
        second = IssueInvoice(people["patient"], lines=[Line("Implante", Decimal("800"))], actor=people["reception"]).execute()
        financed = RecordDeskPayment(patient=people["patient"], invoice=second, amount=Decimal("500"), method=PatientPayment.Method.FINANCING,
                                     reference="Financiera Sol 2026/118", actor=people["reception"]).execute()
        from clinic.actions.payments import RefundPayment

        RefundPayment(financed, amount=Decimal("100"), reason="Ajuste de la financiera", actor=people["admin"]).execute()
        last = patient_balance(people["patient"])
        assert last.invoiced - before.invoiced == Decimal("800.00") and last.paid - before.paid == Decimal("520.00")
        assert last.pending - after.pending == Decimal("400.00")
        assert Invoice.objects.with_outstanding().get(pk=second.pk).outstanding == Decimal("400.00")


def test_the_desk_records_a_payment_against_an_invoice(invoice, clinic_a, people, host_client, password):
    staff = login(host_client(clinic_a.primary_host), "recepcion@sonrisa.example", password)
    with clinic_context(clinic_a):
        other = Patient.objects.create(first_name="Otra", last_name="Paciente")
        theirs = IssueInvoice(other, lines=[Line("Limpieza", Decimal("60"))], actor=people["reception"]).execute()
    detail = staff.get(reverse("clinic_invoice:detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "120.00\u00a0€ outstanding" in detail.content.decode() and "Record a payment" in text(detail)
    form = staff.get(reverse("clinic_patientpayment:add") + f"?invoice={invoice.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == HTTPStatus.OK
    assert form.context["form"].initial["patient"] == people["patient"].pk and form.context["form"].initial["amount"] == Decimal("120.00")
    assert f"{invoice.full_number} · 120.00\u00a0€ outstanding of 120.00\u00a0€" in form.content.decode()
    assert "Financing" in text(form) or "financing" in text(form)
    url = reverse("clinic_patientpayment:add")
    data = {"patient": people["patient"].pk, "invoice": invoice.pk, "amount": "70.00", "method": "financing", "reference": "Financiera Sol"}
    assert staff.post(url, {**data, "amount": "120.01"}, HTTP_ACCEPT_LANGUAGE="en").status_code == HTTPStatus.OK  # the form again
    assert staff.post(url, {**data, "invoice": theirs.pk}, HTTP_ACCEPT_LANGUAGE="en").status_code == HTTPStatus.OK  # not a choice
    assert staff.post(url, {**data, "invoice": "1" * 30}, HTTP_ACCEPT_LANGUAGE="en").status_code == HTTPStatus.OK
    with clinic_context(clinic_a):
        assert not PatientPayment.objects.filter(invoice__isnull=False).exists()
    assert staff.post(url, data).status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        [payment] = PatientPayment.objects.filter(invoice=invoice)
        assert (payment.amount, payment.method, payment.recorded_by, payment.reference) == (Decimal("70.00"), "financing", people["reception"], "Financiera Sol")
        with translation.override("en"), pytest.raises(ActionError, match="At most 50.00\u00a0€ is outstanding on invoice F"):
            RecordDeskPayment(patient=people["patient"], invoice=invoice, amount=Decimal("50.01"), method="cash", actor=people["reception"]).execute()
        with translation.override("en"), pytest.raises(ActionError, match="That invoice is another patient's."):
            RecordDeskPayment(patient=other, invoice=invoice, amount=Decimal("1"), method="cash", actor=people["reception"]).execute()
    detail = text(staff.get(reverse("clinic_invoice:detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="es"))
    assert "50,00 € pendiente" in detail and "Financiación" in detail and payment.receipt_number in detail
    with clinic_context(clinic_a):
        RecordDeskPayment(patient=people["patient"], invoice=invoice, amount=Decimal("50"), method="cash", actor=people["reception"]).execute()
    detail = staff.get(reverse("clinic_invoice:detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="es")
    assert "Pagada" in text(detail) and "Registrar un pago" not in text(detail)


def test_the_payments_csv_has_the_invoice_and_filters_by_date(invoice, clinic_a, people, host_client, password):
    admin = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    with clinic_context(clinic_a):
        march = PatientPayment.objects.create(patient=people["patient"], invoice=invoice, amount=Decimal("80"), currency="EUR", method="financing",
                                              reference="Financiera Sol", received_at=datetime(2026, 3, 10, 23, 30, tzinfo=MADRID))
        PatientPayment.objects.create(patient=people["patient"], amount=Decimal("15"), currency="EUR", method="cash",
                                      received_at=datetime(2026, 3, 11, 0, 30, tzinfo=MADRID))  # the next day in Madrid
        PatientPayment.objects.create(patient=people["patient"], amount=Decimal("9"), currency="EUR", method="cash",
                                      received_at=datetime(2026, 2, 28, 12, 0, tzinfo=MADRID))
    export = admin.get(reverse("clinic_patientpayment:index") + "?export=csv&received_at_from=2026-03-01&received_at_to=2026-03-10",
                       HTTP_ACCEPT_LANGUAGE="en")
    assert export.status_code == HTTPStatus.OK
    rows = [list(row) for row in csv.reader(io.StringIO(b"".join(export.streaming_content).decode().lstrip("\ufeff")))]
    assert rows[0] == ["Received", "Patient", "Patient id", "Amount", "Currency", "Method", "Refunded", "Reference", "Appointment id",
                       "Invoice", "Stripe payment", "Receipt"]
    assert len(rows) == 2, rows
    row = dict(zip(["received", "patient", "patient_id", "amount", "currency", "method", "refunded", "reference", "appointment", "invoice",
                    "stripe", "receipt"], rows[1], strict=True))
    assert row["invoice"] == invoice.full_number and row["amount"] == "80.00" and row["reference"] == "Financiera Sol"
    assert row["receipt"] == march.receipt_number and row["patient_id"] == str(people["patient"].pk)
    assert row["received"] == "2026-03-10 23:30:00"  # the clinic's time, not UTC


def csv_rows(response):
    """The rows of a Wagtail CSV export (streamed) as dicts by heading."""
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_invoices_csv_filters_by_a_range_of_days_and_says_what_is_outstanding(invoice, clinic_a, people, host_client, password):
    from clinic.actions.invoices import IssueCreditNote

    admin = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    with clinic_context(clinic_a):
        RecordDeskPayment(patient=people["patient"], invoice=invoice, amount=Decimal("20"), method="cash", actor=people["reception"]).execute()
        other = IssueInvoice(people["patient"], lines=[Line("Férula", Decimal("90"))], actor=people["reception"]).execute()
        credit = IssueCreditNote(other, reason="Error", actor=people["reception"]).execute()
    today, yesterday = invoice.issue_date.isoformat(), (invoice.issue_date - timedelta(days=1)).isoformat()
    listing = admin.get(reverse("invoices:index") + f"?issue_date_from={today}&issue_date_to={today}")
    assert listing.status_code == HTTPStatus.OK and invoice.full_number in listing.content.decode()
    rows = csv_rows(admin.get(reverse("invoices:index") + f"?export=csv&issue_date_from={today}&issue_date_to={today}", HTTP_ACCEPT_LANGUAGE="en"))
    by_number = {f"{r['Series']}-{int(r['Number']):06d}": r for r in rows}
    assert set(by_number) == {invoice.full_number, other.full_number, credit.full_number}
    assert (by_number[invoice.full_number]["Paid (less refunds)"], by_number[invoice.full_number]["Outstanding"]) == ("20.00", "100.00")
    assert by_number[other.full_number]["Outstanding"] == "0.00" and by_number[credit.full_number]["Outstanding"] == "0.00"
    assert csv_rows(admin.get(reverse("invoices:index") + f"?export=csv&issue_date_from={yesterday}&issue_date_to={yesterday}")) == []


def test_a_deposit_paid_for_the_appointment_counts_on_its_invoice(clinic_a, people, pay, stripe_api):
    """The deposit paid online when booking names the appointment, not the invoice issued
    later: it still counts, so the patient is asked only for the rest."""
    from clinic.actions.invoices import lines_for_appointment
    from clinic.models import Appointment, Practitioner

    with clinic_context(clinic_a):
        start = datetime.combine(invoice_day := datetime.now(MADRID).date() - timedelta(days=2), datetime.min.time().replace(hour=3), MADRID)
        practitioner = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        visit = Appointment.objects.create(patient=people["patient"], practitioner=practitioner, service=practitioner.services.first(), start=start,
                                           end=start + timedelta(minutes=30), price=Decimal("120.00"), status=Appointment.Status.COMPLETED)
        PatientPayment.objects.create(patient=people["patient"], appointment=visit, amount=Decimal("50"), currency="EUR", method="online",
                                      stripe_payment_intent="pi_deposit_when_booking", received_at=datetime.combine(invoice_day, time(9), MADRID))
        invoice = IssueInvoice(people["patient"], lines=lines_for_appointment(visit), appointment=visit, actor=people["reception"]).execute()
        assert invoice.outstanding_amount() == Decimal("70.00")
        other = IssueInvoice(people["patient"], lines=[Line("Revisión", Decimal("30"))], actor=people["reception"]).execute()
        assert other.outstanding_amount() == Decimal("30.00")  # the deposit counts on its own appointment's invoice only
    assert pay(invoice).json()["state"] == "succeeded"
    assert the_intent(clinic_a, invoice, stripe_api).amount == 7000
