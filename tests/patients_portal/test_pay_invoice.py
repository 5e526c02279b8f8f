"""Issue 11, item 4, the patient's side: the invoice list says what is paid and what is
outstanding, with a "Pay" button beside what can be paid; the card page charges what is
outstanding (saved card offered); whatever is not the patient's to pay (another
patient's invoice, another clinic's, a credit note, a paid invoice, an impossible id, a
NUL byte, a body that is not a JSON object) answers 404 or 400 and charges nothing."""

import json
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from clinic.actions.invoices import IssueCreditNote, IssueInvoice, Line
from clinic.actions.payments import RecordDeskPayment
from clinic.models import Invoice, InvoicingSettings, Patient, PatientPayment, PaymentAttempt
from portal.models import User
from portal.tenancy import clinic_context
from tests.conftest import save_card
from tests.helpers import login, text

DEMO_PATIENT = "paciente@sonrisa.example"


def pay_url(invoice):
    return reverse("patients_portal:pay_invoice", args=[invoice.pk])


def charge_url(invoice):
    return reverse("patients_portal:pay_invoice_charge", args=[invoice.pk])


def the_intent(clinic, invoice, stripe_api):
    with clinic_context(clinic):
        attempt = PaymentAttempt.objects.filter(invoice=invoice).order_by("-pk").first()
    return stripe_api.PaymentIntent.retrieve(attempt.stripe_payment_intent)


@pytest.fixture
def patient_client(client_a, password):
    return login(client_a, DEMO_PATIENT, password)


@pytest.fixture
def people(clinic_a, db):
    with clinic_context(clinic_a):
        issuer = InvoicingSettings.load()
        issuer.legal_name, issuer.tax_id, issuer.address = "Clínica Dental Sonrisa S.L.", "B12345674", "Calle de Alcalá 120, 28009 Madrid"
        issuer.save()
        return {"patient": Patient.objects.get(email=DEMO_PATIENT), "reception": User.objects.get(email="recepcion@sonrisa.example")}


@pytest.fixture
def invoice(clinic_a, people):
    """An invoice of 120 € to the demo patient."""
    with clinic_context(clinic_a):
        return IssueInvoice(people["patient"], lines=[Line("Endodoncia", Decimal("120.00"))], actor=people["reception"]).execute()


NOT_OBJECTS = [b"[]", b"null", b'"x"', b"{", b'{"setup_intent": 5}', b'{"saved_card": "yes"}', b'{"setup_intent": "seti_\\u0000"}',
               json.dumps({"setup_intent": "seti_" + "A" * 100_000}).encode()]


def test_the_card_page_shows_what_is_outstanding_and_offers_the_saved_card(invoice, patient_client, clinic_a, people, stripe_api):
    with clinic_context(clinic_a):
        RecordDeskPayment(patient=people["patient"], invoice=invoice, amount=Decimal("20"), method=PatientPayment.Method.CARD,
                          actor=people["reception"]).execute()
        Patient.objects.filter(pk=people["patient"].pk).update(saved_card="")
    page = patient_client.get(pay_url(invoice), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == HTTPStatus.OK
    words = text(page)
    assert f"Factura {invoice.full_number} del {invoice.issue_date:%d/%m/%Y}" in words and "A pagar ahora: 100,00 €" in words  # text() turns the no-break space into a space
    assert "Pagar con mi tarjeta guardada" not in words
    # Pay once with a new card: the card is kept, and the next invoice offers it.
    setup_intent = save_card(stripe_api, page.context["stripe"]["setupSecret"])
    assert patient_client.post(charge_url(invoice), json.dumps({"setup_intent": setup_intent}), content_type="application/json").json()["state"] == "succeeded"
    with clinic_context(clinic_a):
        second = IssueInvoice(people["patient"], lines=[Line("Revisión", Decimal("35"))], actor=people["reception"]).execute()
    page = patient_client.get(pay_url(second), HTTP_ACCEPT_LANGUAGE="es")
    assert "Pagar con mi tarjeta guardada" in text(page)
    response = patient_client.post(charge_url(second), json.dumps({"saved_card": True}), content_type="application/json")
    assert response.json()["state"] == "succeeded"
    assert the_intent(clinic_a, second, stripe_api).amount == 3500


def test_what_cannot_be_paid_is_refused_and_nothing_is_charged(invoice, patient_client, client_b, clinic_a, clinic_b, people, stripe_api, password):
    with clinic_context(clinic_a):
        other = Patient.objects.create(first_name="Otra", last_name="Paciente", email="otra@sonrisa.example")
        theirs = IssueInvoice(other, lines=[Line("Limpieza", Decimal("60"))], actor=people["reception"]).execute()
        cancelled = IssueInvoice(people["patient"], lines=[Line("Férula", Decimal("90"))], actor=people["reception"]).execute()
        credit = IssueCreditNote(cancelled, reason="Error", actor=people["reception"]).execute()
        paid = IssueInvoice(people["patient"], lines=[Line("Revisión", Decimal("30"))], actor=people["reception"]).execute()
        RecordDeskPayment(patient=people["patient"], invoice=paid, amount=Decimal("30"), method=PatientPayment.Method.TRANSFER,
                          actor=people["reception"]).execute()
        mine = set(Invoice.objects.filter(patient=people["patient"]).values_list("pk", flat=True))
    with clinic_context(clinic_b):
        alamos = InvoicingSettings.load()
        alamos.legal_name, alamos.tax_id, alamos.address = "Centro Médico Los Álamos S.C.", "CMA010101AB1", "Av. Reforma 1, CDMX"
        alamos.save()
        elsewhere = IssueInvoice(Patient.objects.create(first_name="Paciente", last_name="Álamos"), lines=[Line("Consulta", Decimal("600"))]).execute()
    before = len(stripe_api.PaymentIntent.list(limit=100).data)
    body = json.dumps({"saved_card": True})
    for target in (theirs, credit):
        assert patient_client.get(pay_url(target)).status_code == HTTPStatus.NOT_FOUND
        assert patient_client.post(charge_url(target), body, content_type="application/json").status_code == HTTPStatus.NOT_FOUND
    if elsewhere.pk not in mine:  # ids repeat across clinics: another clinic's id is simply not the patient's
        assert patient_client.get(f"/cuenta/facturas/{elsewhere.pk}/pagar/").status_code == HTTPStatus.NOT_FOUND
    client_b.cookies.load({key: morsel.value for key, morsel in patient_client.cookies.items()})  # the session is worthless at clinic B
    assert client_b.post(f"/cuenta/facturas/{elsewhere.pk}/pagar/cobro/", body, content_type="application/json").status_code == HTTPStatus.FOUND
    for path in ("/cuenta/facturas/100000000000000000000/pagar/", "/cuenta/facturas/100000000000000000000/pagar/cobro/",
                 "/cuenta/facturas/1%00/pagar/", f"/cuenta/facturas/{invoice.pk}%00/pagar/cobro/"):
        assert patient_client.post(path, body, content_type="application/json").status_code == HTTPStatus.NOT_FOUND, path
        assert patient_client.get(path).status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED), path
    already = patient_client.get(pay_url(paid), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert already.redirect_chain[-1][0].endswith("/cuenta/citas/#invoices") and f"Invoice {paid.full_number} is already paid." in text(already)
    refused = patient_client.post(charge_url(paid), body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == HTTPStatus.BAD_REQUEST and refused.json()["error"] == "This invoice is already paid."
    for bad in NOT_OBJECTS:
        response = patient_client.post(charge_url(invoice), bad, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == HTTPStatus.BAD_REQUEST and response.json()["error"] == "The card could not be saved. Please try again.", bad
    assert patient_client.get(charge_url(invoice)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert len(stripe_api.PaymentIntent.list(limit=100).data) == before
    with clinic_context(clinic_a):
        assert not PaymentAttempt.objects.exists()
    with clinic_context(clinic_b):
        assert not PaymentAttempt.objects.exists()


def test_the_patient_sees_paid_and_outstanding_and_a_pay_button(invoice, patient_client, clinic_a, people):
    with clinic_context(clinic_a):
        paid = IssueInvoice(people["patient"], lines=[Line("Revisión", Decimal("30"))], actor=people["reception"]).execute()
        RecordDeskPayment(patient=people["patient"], invoice=paid, amount=Decimal("30"), method="cash", actor=people["reception"]).execute()
        RecordDeskPayment(patient=people["patient"], invoice=invoice, amount=Decimal("20"), method="card", actor=people["reception"]).execute()
        credit = IssueCreditNote(paid, reason="Error", actor=people["reception"]).execute()
    page = patient_client.get(reverse("patients_portal:appointments"), HTTP_ACCEPT_LANGUAGE="es")
    html = page.content.decode()
    words = text(page)
    assert "100,00 € pendiente" in words
    assert f'href="{pay_url(invoice)}"' in html and f'aria-label="Pagar la factura {invoice.full_number}"' in html
    assert f'href="{pay_url(paid)}"' not in html and f'href="{pay_url(credit)}"' not in html


def test_after_paying_the_list_says_processing_then_paid(invoice, patient_client, clinic_a, stripe_api, deliver_webhook,
                                                         django_capture_on_commit_callbacks):
    from tests.clinic.test_payments_once import succeeded

    page = patient_client.get(pay_url(invoice))
    setup_intent = save_card(stripe_api, page.context["stripe"]["setupSecret"])
    answer = patient_client.post(charge_url(invoice), json.dumps({"setup_intent": setup_intent}), content_type="application/json").json()
    assert answer["state"] == "succeeded"
    listing = patient_client.get(answer["status_url"], HTTP_ACCEPT_LANGUAGE="es")
    assert "120,00 € pendiente; tu pago se está procesando" in text(listing) and f'href="{pay_url(invoice)}"' not in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(succeeded(the_intent(clinic_a, invoice, stripe_api)))
    listing = patient_client.get(answer["status_url"], HTTP_ACCEPT_LANGUAGE="es")
    assert "Pagada" in text(listing) and "pendiente" not in text(listing)
    with clinic_context(clinic_a):
        payment = PatientPayment.objects.get(invoice=invoice)
    assert f"{payment.receipt_number}</a> · 120,00\u00a0€" in listing.content.decode() and f"factura {invoice.full_number}" in text(listing)
    receipt = text(patient_client.get(reverse("patients_portal:receipt", args=[payment.pk]), HTTP_ACCEPT_LANGUAGE="es"))
    assert f"Factura {invoice.full_number}" in receipt and "120,00 €" in receipt
