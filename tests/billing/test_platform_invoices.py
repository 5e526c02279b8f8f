"""Issue 11, item 5: the platform invoices each clinic for its plan the way clinics invoice
their patients (a series without gaps, issuer and recipient frozen, VAT, never changed,
credit notes, the VERI*FACTU chain, a PDF), once per paid period; a refund gets a credit
note. Real localstripe over HTTP and real signed webhooks where Stripe is involved."""

import hashlib
import re
import zlib
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from billing.invoices import invoice_pdf, issue_credit_note, issue_invoice, split_gross, sweep_invoices
from billing.models import Payment, PlatformInvoice, PlatformRefund, Subscription
from billing.subscriptions import run_billing_cycle
from portal.verifactu import fingerprint
from tenants.models import Clinic, Plan, Signup
from tests.billing.test_lifecycle import subscribed  # noqa: F401 - a fixture
from tests.clinic.test_invoices import FIRST, FIRST_HASH
from tests.helpers import login, text
from tests.tenants.test_late_payment_refund import expire
from tests.tenants.test_signup import paid_signup, succeeded_event  # noqa: F401 - paid_signup is a fixture

pytestmark = pytest.mark.django_db

SONRISA = {"legal_name": "Clínica Dental Sonrisa S.L.", "tax_id": "B12345674", "fiscal_address": "Calle de Alcalá 120, 28009 Madrid"}
YEAR = timezone.localdate().year


def with_legal_data(clinic, **data):
    Clinic.objects.filter(pk=clinic.pk).update(**(data or SONRISA))


def paid(clinic, *, months_ahead=0, amount=Decimal("49.00"), currency="EUR"):
    """A renewal of ``clinic`` recorded as paid (its invoice is issued by the caller)."""
    start = timezone.now() + timedelta(days=31 * months_ahead)
    return Payment.objects.create(clinic=clinic, kind=Payment.Kind.RENEWAL, status=Payment.Status.SUCCEEDED, amount=amount, currency=currency,
                                  period_start=start, period_end=start + timedelta(days=30), paid_at=timezone.now())


def pdf_text(content: bytes) -> str:
    """The text drawn in a PDF from fpdf2 (its page streams are deflated)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    out = []
    for stream in streams:
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(out)


def test_the_amount_paid_is_split_into_base_and_vat_that_add_up():
    assert split_gross(Decimal("49.00"), Decimal("21")) == (Decimal("40.50"), Decimal("8.50"))
    assert split_gross(Decimal("490.00"), Decimal("21")) == (Decimal("404.96"), Decimal("85.04"))
    assert split_gross(Decimal("600.00"), Decimal("0")) == (Decimal("600.00"), Decimal("0.00"))


def test_the_first_period_is_invoiced_once_to_the_signups_legal_data(paid_signup, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):  # noqa: F811
    signup, payment = paid_signup
    Signup.objects.filter(pk=signup.pk).update(legal_name="Dental Norte S.L.", tax_id="B87654323", fiscal_address="Gran Vía 1, Bilbao")
    event = succeeded_event(stripe_api, payment.stripe_payment_intent)
    with django_capture_on_commit_callbacks(execute=True):
        for delivery in (event, event, succeeded_event(stripe_api, payment.stripe_payment_intent)):  # redelivered, and another event
            assert deliver_webhook(delivery).status_code == HTTPStatus.OK
    [invoice] = PlatformInvoice.objects.all()
    clinic = Clinic.objects.get(slug="dental-norte")
    assert invoice.payment == payment and invoice.payment.clinic == clinic  # the payment moved to the clinic when it was created
    assert (invoice.kind, invoice.series, invoice.full_number) == ("F1", f"P{YEAR}", f"P{YEAR}-{invoice.number:06d}")
    assert (invoice.issuer_name, invoice.issuer_tax_id, invoice.issuer_address) == ("Clinic Portal Demo S.L.", "B87654323", "Calle Ejemplo 1, 28001 Madrid")
    assert (invoice.recipient_name, invoice.recipient_tax_id, invoice.recipient_address) == ("Dental Norte S.L.", "B87654323", "Gran Vía 1, Bilbao")
    assert (invoice.base, invoice.tax, invoice.total, invoice.currency) == (Decimal("40.50"), Decimal("8.50"), Decimal("49.00"), "EUR")
    [line] = invoice.lines.all()
    assert line.tax_rate == Decimal("21.00") and line.description.startswith("Clinic Portal, plan Mensual: ")
    # The signup's legal data is the clinic's now, for its next invoices.
    assert (clinic.legal_name, clinic.tax_id, clinic.fiscal_address) == ("Dental Norte S.L.", "B87654323", "Gran Vía 1, Bilbao")
    assert len(mail.outbox) == 2  # set password + welcome: no e-mail more for the invoice


def test_each_renewal_is_invoiced_once_and_its_receipt_names_the_invoice(subscribed, clinic_a, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):  # noqa: F811
    with_legal_data(clinic_a)
    subscribed()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_billing_cycle()["charged"] == 1
    [payment] = Payment.objects.filter(clinic=clinic_a)
    [invoice] = PlatformInvoice.objects.filter(payment=payment)
    assert (invoice.recipient_name, invoice.recipient_tax_id, invoice.kind) == ("Clínica Dental Sonrisa S.L.", "B12345674", "F1")
    [receipt] = mail.outbox
    assert f"Factura: {invoice.full_number} (Clínica Dental Sonrisa S.L., NIF B12345674)" in receipt.body  # the admin reads Spanish
    assert "49,00\u00a0€" in receipt.body

    # Stripe's event for the same renewal, twice: still one invoice, no second receipt.
    event = succeeded_event(stripe_api, payment.stripe_payment_intent)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(event)
        deliver_webhook(event)
    assert PlatformInvoice.objects.filter(payment=payment).count() == 1 and len(mail.outbox) == 1

    # The next period: the next number, chained to the first.
    Clinic.objects.filter(pk=clinic_a.pk).update(paid_until=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert run_billing_cycle()["charged"] == 1
    second = PlatformInvoice.objects.exclude(pk=invoice.pk).get()
    assert second.number == invoice.number + 1 and second.previous_fingerprint == invoice.fingerprint
    assert second.full_number in mail.outbox[-1].body
    assert PlatformInvoice.verify_chain() == []


def test_a_receipt_says_when_the_clinic_has_no_tax_id_and_the_invoice_is_simplified(subscribed, clinic_a, django_capture_on_commit_callbacks):  # noqa: F811
    subscribed()
    with django_capture_on_commit_callbacks(execute=True):
        run_billing_cycle()
    invoice = PlatformInvoice.objects.get()
    assert (invoice.kind, invoice.recipient_name, invoice.recipient_tax_id) == ("F2", "Clínica Dental Sonrisa", "")
    body = mail.outbox[0].body
    assert f"Factura: {invoice.full_number} (Clínica Dental Sonrisa)" in body
    assert "El NIF de tu clínica aún no está en sus datos: añádelo en Plan y facturación para tus próximas facturas." in body


def test_a_platform_refund_gets_one_credit_note_referring_to_the_invoice(paid_signup, stripe_api, deliver_webhook, django_capture_on_commit_callbacks):  # noqa: F811
    signup, payment = paid_signup
    expire(signup)  # paid after it expired, and the address was taken: refunded by itself
    event = succeeded_event(stripe_api, payment.stripe_payment_intent)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook(event)
        deliver_webhook(event)
    refund = PlatformRefund.objects.get()
    assert refund.status == PlatformRefund.Status.SUCCEEDED
    invoice, note = PlatformInvoice.objects.order_by("pk")
    assert invoice.payment == note.payment == payment and note.corrects == invoice and note.refund == refund
    assert (invoice.kind, note.kind) == ("F2", "R5")  # no tax ID given: simplified, and its correction
    assert note.series == f"PR{YEAR}" and (note.base, note.tax, note.total) == (Decimal("-40.50"), Decimal("-8.50"), Decimal("-49.00"))
    assert note.recipient_name == invoice.recipient_name == "Clínica Dental Norte"
    assert note.correction_reason == refund.reason
    assert issue_credit_note(refund_id=refund.pk) == note and PlatformInvoice.objects.count() == 2  # once
    content = pdf_text(invoice_pdf(note))
    assert f"Corrects invoice {invoice.full_number}" in content or f"Rectifica la factura {invoice.full_number}" in content


def test_an_invoice_that_could_not_be_issued_never_undoes_the_payment_and_the_sweep_issues_it(subscribed, clinic_a, settings, django_capture_on_commit_callbacks):  # noqa: F811
    sweep_invoices(older_than=timedelta(0))  # payments left uninvoiced by committed data of other tests are not this test's
    subscribed()
    settings.PLATFORM_TAX_ID = ""  # a broken setting while the payment is recorded
    with django_capture_on_commit_callbacks(execute=True):
        run_billing_cycle()
    payment = Payment.objects.get(clinic=clinic_a)
    assert payment.status == Payment.Status.SUCCEEDED and not PlatformInvoice.objects.filter(payment=payment).exists()
    assert Clinic.objects.get(pk=clinic_a.pk).status == Clinic.Status.ACTIVE
    assert sweep_invoices() == 0  # fixed or not, nothing recorded under a minute ago is touched yet
    settings.PLATFORM_TAX_ID = "B87654323"
    assert sweep_invoices(older_than=timedelta(0)) == 1
    assert sweep_invoices(older_than=timedelta(0)) == 0
    assert PlatformInvoice.objects.filter(payment=payment).count() == 1


def test_a_free_or_unpaid_payment_gets_no_invoice(clinic_a):
    free = paid(clinic_a, amount=Decimal("0"))
    pending = paid(clinic_a, months_ahead=1)
    Payment.objects.filter(pk=pending.pk).update(status=Payment.Status.PENDING)
    assert issue_invoice(payment_id=free.pk) is None and issue_invoice(payment_id=pending.pk) is None
    assert not PlatformInvoice.objects.exists()


def test_issued_invoices_refuse_update_and_delete_in_the_database(clinic_a):
    invoice = issue_invoice(payment_id=paid(clinic_a).pk)

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM billing_platforminvoice WHERE id = %s", [invoice.pk])

    for attempt in (lambda: PlatformInvoice.objects.filter(pk=invoice.pk).update(total=Decimal("1")), raw_delete,
                    lambda: invoice.lines.update(description="otra cosa"), lambda: invoice.lines.all().delete()):
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            attempt()
    with pytest.raises(IntegrityError), transaction.atomic():  # a second invoice for the same payment
        PlatformInvoice.objects.create(**{f.attname: getattr(invoice, f.attname) for f in PlatformInvoice._meta.concrete_fields if f.name != "id"}
                                       | {"number": invoice.number + 100, "fingerprint": "X" * 64})


def test_the_chain_follows_the_aeat_format_and_the_command_finds_a_tampered_record(clinic_a, capsys):
    assert fingerprint(FIRST) == FIRST_HASH  # the AEAT's worked example, the code both issuers share
    first = issue_invoice(payment_id=paid(clinic_a).pk)
    second = issue_invoice(payment_id=paid(clinic_a, months_ahead=1).pk)
    canonical = (f"IDEmisorFactura=B87654323&NumSerieFactura={second.full_number}&FechaExpedicionFactura={second.issue_date:%d-%m-%Y}"
                 f"&TipoFactura=F2&CuotaTotal=8.50&ImporteTotal=49.00&Huella={first.fingerprint}&FechaHoraHusoGenRegistro={second.record_time}")
    assert second.fingerprint == hashlib.sha256(canonical.encode()).hexdigest().upper()
    assert second.record_time.endswith(("+01:00", "+02:00"))  # the issuer's Spanish clock
    call_command("verify_invoice_chain", platform=True)
    assert "platform: 2 records, chain intact" in capsys.readouterr().out
    with connection.cursor() as cursor:
        # Someone with database access changes an amount behind the application's back.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE billing_platforminvoice DISABLE TRIGGER billing_platforminvoice_immutable")
        cursor.execute("UPDATE billing_platforminvoice SET total = 4.90 WHERE id = %s", [first.pk])
        cursor.execute("ALTER TABLE billing_platforminvoice ENABLE TRIGGER billing_platforminvoice_immutable")
    with pytest.raises(CommandError):
        call_command("verify_invoice_chain")  # every chain, the platform's among them
    assert f"platform: chain broken at {first.full_number}: its fingerprint does not match its data" in capsys.readouterr().out


def test_the_pdf_names_both_tax_ids_and_the_total(clinic_a):
    with_legal_data(clinic_a)
    invoice = issue_invoice(payment_id=paid(clinic_a).pk)
    content = invoice_pdf(invoice)
    assert content.startswith(b"%PDF-")
    drawn = pdf_text(content)
    for expected in ("NIF B87654323", "Clinic Portal Demo S.L.", "NIF B12345674", "Cl\xednica Dental Sonrisa S.L.", "49,00\xa0EUR", "40,50\xa0EUR", "8,50\xa0EUR",
                     invoice.full_number, invoice.fingerprint):
        assert expected in drawn, expected


@pytest.fixture
def invoices(clinic_a, clinic_b):
    with_legal_data(clinic_a)
    mine = issue_invoice(payment_id=paid(clinic_a).pk)
    theirs = issue_invoice(payment_id=paid(clinic_b, amount=Decimal("980.00"), currency="MXN").pk)
    return mine, theirs


def test_the_billing_page_lists_the_clinics_invoices_in_its_language(invoices, client_a, password):
    mine, theirs = invoices
    login(client_a, "admin@sonrisa.example", password)
    page = text(client_a.get("/admin/facturacion/", HTTP_ACCEPT_LANGUAGE="es"))
    assert f"Factura {mine.full_number}" in page and "49,00 €" in page and f"PDF de {mine.full_number}" in page
    assert theirs.full_number not in page and "Datos fiscales para las facturas" in page
    assert mine.issue_date.strftime("%d/%m/%Y") in page
    english = text(client_a.get("/admin/facturacion/", HTTP_ACCEPT_LANGUAGE="en"))
    assert f"Invoice {mine.full_number}" in english and "49.00 €" in english and f"PDF of {mine.full_number}" in english
    assert "Legal data for the invoices" in english and "Tax ID (NIF, RFC…)" in english
    pdf = client_a.get(reverse("clinic_billing_invoice", args=[mine.pk]))
    assert pdf.status_code == HTTPStatus.OK and pdf["Content-Type"] == "application/pdf" and "NIF B12345674" in pdf_text(pdf.content)


def test_only_the_clinics_admins_get_its_invoices(invoices, clinic_a, clinic_b, host_client, password):
    mine, theirs = invoices
    url = reverse("clinic_billing_invoice", args=[mine.pk])
    for email in ("recepcion@sonrisa.example", "lucia.fernandez@sonrisa.example"):
        client = login(host_client(clinic_a.primary_host), email, password)
        for refused in (client.get(url), client.get("/admin/facturacion/")):  # Wagtail sends them back to the dashboard
            assert (refused.status_code, refused["Location"]) == (HTTPStatus.FOUND, "/admin/"), email
    patient = login(host_client(clinic_a.primary_host), "paciente@sonrisa.example", password)
    assert patient.get(url).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    assert host_client(clinic_a.primary_host).get(url).status_code == HTTPStatus.FOUND  # sign in first
    other = login(host_client(clinic_b.primary_host), "admin@alamos.example", password)
    assert other.get(url).status_code == HTTPStatus.NOT_FOUND  # clinic A's invoice, asked at clinic B
    assert other.get(reverse("clinic_billing_invoice", args=[theirs.pk])).status_code == HTTPStatus.OK
    admin = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
    assert admin.get(reverse("clinic_billing_invoice", args=[theirs.pk])).status_code == HTTPStatus.NOT_FOUND
    for guessed in (987654321, 99999999999999999999):
        assert admin.get(f"/admin/facturacion/facturas/{guessed}.pdf").status_code == HTTPStatus.NOT_FOUND


def legal_post(client, **fields):
    return client.post("/admin/facturacion/", {"action": "legal", **SONRISA, **fields}, HTTP_ACCEPT_LANGUAGE="es")


@pytest.mark.parametrize(("fields", "message"), [
    ({"tax_id": "B12345675"}, "No es un NIF español válido"),  # wrong check digit
    ({"tax_id": "12345678A"}, "No es un NIF español válido"),
    ({"tax_id": "B<script>"}, "Escribe el NIF solo con letras y cifras"),
    ({"tax_id": "B12345674!!"}, "Escribe el NIF solo con letras y cifras"),
    ({"tax_id": "X" * 25}, "tenga menos de 20 caracteres (tiene 25)"),
    ({"legal_name": "Sonrisa\x00 S.L."}, "Los caracteres nulos no están permitidos"),
    ({"fiscal_address": "a" * 301}, "tenga menos de 300 caracteres (tiene 301)"),
    ({"legal_name": "x" * 161}, "tenga menos de 160 caracteres (tiene 161)"),
    ({"fiscal_address": ""}, "Rellena la razón social, el NIF y el domicilio fiscal a la vez"),
])
def test_bad_legal_data_is_refused_with_a_message_and_changes_nothing(client_a, clinic_a, password, fields, message):
    login(client_a, "admin@sonrisa.example", password)
    response = legal_post(client_a, **fields)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in text(response)
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    assert (clinic.legal_name, clinic.tax_id, clinic.fiscal_address) == ("", "", "")


def test_legal_data_is_saved_by_the_admin_spanish_checked_and_foreign_ids_accepted(client_a, client_b, clinic_a, clinic_b, password, host_client):
    login(client_a, "admin@sonrisa.example", password)
    response = legal_post(client_a, tax_id="b 1234567-4".replace("-", ""))
    assert response.status_code == HTTPStatus.FOUND
    assert Clinic.objects.filter(pk=clinic_a.pk, tax_id="B12345674", legal_name="Clínica Dental Sonrisa S.L.").exists()
    assert 'value="B12345674"' in client_a.get("/admin/facturacion/").content.decode()
    # A Mexican clinic's RFC is not a Spanish NIF, and is accepted.
    login(client_b, "admin@alamos.example", password)
    response = client_b.post("/admin/facturacion/", {"action": "legal", "legal_name": "Centro Médico Los Álamos S.C.", "tax_id": "CML180524P76",
                                                     "fiscal_address": "Av. Insurgentes Sur 1000, CDMX"})
    assert response.status_code == HTTPStatus.FOUND
    assert Clinic.objects.get(pk=clinic_b.pk).tax_id == "CML180524P76"
    # The next invoice is made out to it; the one before keeps what it said.
    earlier = issue_invoice(payment_id=paid(clinic_a).pk)
    Clinic.objects.filter(pk=clinic_a.pk).update(legal_name="Otra S.L.")
    later = issue_invoice(payment_id=paid(clinic_a, months_ahead=1).pk)
    earlier.refresh_from_db()
    assert (earlier.recipient_name, later.recipient_name) == ("Clínica Dental Sonrisa S.L.", "Otra S.L.")
    # A receptionist cannot change it.
    reception = login(host_client(clinic_a.primary_host), "recepcion@sonrisa.example", password)
    assert legal_post(reception, legal_name="Nada S.L.")["Location"] == "/admin/"  # refused
    assert Clinic.objects.get(pk=clinic_a.pk).legal_name == "Otra S.L."


def test_the_signup_form_takes_optional_legal_data_checked_for_its_country(platform_client):
    from tests.tenants.test_signup import form_data

    before = list(Signup.objects.values_list("pk", flat=True))  # committed by other tests' journeys, if any
    bad = platform_client.post("/alta/", form_data(legal_name="Norte S.L.", tax_id="B12345675", fiscal_address="Gran Vía 1"), HTTP_ACCEPT_LANGUAGE="es")
    assert bad.status_code == HTTPStatus.OK and "No es un NIF español válido" in text(bad) and not Signup.objects.exclude(pk__in=before).exists()
    mexican = platform_client.post("/alta/", form_data(country="MX", time_zone="America/Mexico_City", legal_name="Norte S.C.", tax_id="NOR180524P76",
                                                       fiscal_address="Reforma 1, CDMX"))
    assert mexican.status_code == HTTPStatus.FOUND
    assert Signup.objects.exclude(pk__in=before).get().tax_id == "NOR180524P76"
    Signup.objects.exclude(pk__in=before).delete()
    assert platform_client.post("/alta/", form_data()).status_code == HTTPStatus.FOUND  # all of it optional


def test_operators_see_platform_invoices_read_only(invoices, platform_client, password):
    from tests.tenants.test_operator_admin import operator_login

    mine, _theirs = invoices
    operator_login(platform_client, password)
    listing = text(platform_client.get("/admin/billing/platforminvoice/"))
    assert mine.full_number in listing and "49,00 €" in listing  # text() writes the no-break space as a space
    change = platform_client.get(f"/admin/billing/platforminvoice/{mine.pk}/change/")
    assert change.status_code == HTTPStatus.OK and 'name="_save"' not in change.content.decode()
    assert platform_client.post(f"/admin/billing/platforminvoice/{mine.pk}/change/", {"total": "1"}).status_code == HTTPStatus.FORBIDDEN
    assert platform_client.get("/admin/billing/platforminvoice/add/").status_code == HTTPStatus.FORBIDDEN
    assert platform_client.post(f"/admin/billing/platforminvoice/{mine.pk}/delete/", {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    pdf = platform_client.get(reverse("admin:billing_platforminvoice_pdf", args=[mine.pk], urlconf="portal.urls_public"))
    assert pdf.status_code == HTTPStatus.OK and mine.full_number in pdf_text(pdf.content)
    PlatformInvoice.objects.get(pk=mine.pk)  # still there


def test_the_platform_refuses_to_start_without_its_issuer(settings):
    from billing.checks import check_platform_issuer

    assert check_platform_issuer(None) == []
    settings.PLATFORM_TAX_ID, settings.PLATFORM_ADDRESS = "", " "
    assert [e.id for e in check_platform_issuer(None)] == ["billing.E001"]
    assert "PLATFORM_TAX_ID, PLATFORM_ADDRESS" in check_platform_issuer(None)[0].msg
    settings.PLATFORM_TAX_ID, settings.PLATFORM_ADDRESS, settings.PLATFORM_VAT_RATE = "B87654323", "Madrid", "121"
    assert [e.id for e in check_platform_issuer(None)] == ["billing.E002"]
    settings.PLATFORM_VAT_RATE = "abc"
    assert [e.id for e in check_platform_issuer(None)] == ["billing.E002"]


def test_a_subscription_is_not_needed_to_see_invoices(invoices, client_a, password):
    mine, _theirs = invoices
    assert not Subscription.objects.filter(clinic__slug="sonrisa").exists()
    login(client_a, "admin@sonrisa.example", password)
    assert mine.full_number in text(client_a.get("/admin/facturacion/"))
    assert Plan.objects.exists()


def test_the_demo_clinics_get_real_platform_invoices(clinic_a, clinic_b, client_a, password):
    from tenants.demo_invoicing import seed_platform_invoices

    assert seed_platform_invoices(clinic_a) == 2 and seed_platform_invoices(clinic_b) == 2
    assert seed_platform_invoices(clinic_a) == 0  # idempotent
    assert PlatformInvoice.verify_chain() == []
    assert Clinic.objects.get(pk=clinic_b.pk).tax_id == "CML180524P76"
    login(client_a, "admin@sonrisa.example", password)
    page = text(client_a.get("/admin/facturacion/", HTTP_ACCEPT_LANGUAGE="es"))
    assert page.count(f"Factura P{YEAR}-") + page.count(f"Factura P{YEAR - 1}-") == 2
