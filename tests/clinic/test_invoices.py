"""Issue 11, item 3 (invoices): gapless numbers in the order of issue, issuer and patient
data frozen on the invoice, VAT or its exemption per service, never edited (credit
notes instead, and the database refuses changes), every record chained by its
VERI*FACTU fingerprint, checked against the AEAT's own worked examples."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from clinic.actions.base import ActionError, ActionPermissionDenied
from clinic.actions.invoices import IssueCreditNote, IssueInvoice, Line, lines_for_appointment, verify_chain
from clinic.models import Appointment, Invoice, InvoicingSettings, Patient, Practitioner, Service
from portal.verifactu import RecordFields, fingerprint, qr_url, verify
from portal.models import User
from portal.tenancy import clinic_context
from tests.helpers import text

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


# The AEAT's worked examples ("Detalle de las especificaciones técnicas para generación de la
# huella o hash de los registros de facturación"): the first record of a chain, then the next.
FIRST = RecordFields(issuer_tax_id="89890001K", number="12345678/G33", issue_date=date(2024, 1, 1), kind="F1", tax=Decimal("12.35"),
                     total=Decimal("123.45"), previous="", generated_at=datetime(2024, 1, 1, 19, 20, 30, tzinfo=ZoneInfo("Europe/Madrid")))
FIRST_HASH = "3C464DAF61ACB827C65FDA19F352A4E3BDC2C640E9E9FC4CC058073F38F12F60"
SECOND = RecordFields(issuer_tax_id="89890001K", number="12345679/G34", issue_date=date(2024, 1, 1), kind="F1", tax=Decimal("12.35"),
                      total=Decimal("123.45"), previous=FIRST_HASH, generated_at=datetime(2024, 1, 1, 19, 20, 35, tzinfo=ZoneInfo("Europe/Madrid")))
SECOND_HASH = "F7B94CFD8924EDFF273501B01EE5153E4CE8F259766F88CF6ACB8935802A2B97"


def test_the_fingerprint_matches_the_aeat_test_vectors():
    assert FIRST.canonical() == ("IDEmisorFactura=89890001K&NumSerieFactura=12345678/G33&FechaExpedicionFactura=01-01-2024&TipoFactura=F1"
                                 "&CuotaTotal=12.35&ImporteTotal=123.45&Huella=&FechaHoraHusoGenRegistro=2024-01-01T19:20:30+01:00")
    assert fingerprint(FIRST) == FIRST_HASH
    assert fingerprint(SECOND) == SECOND_HASH


def test_verify_finds_a_tampered_record_and_a_broken_link():
    assert verify([("A", FIRST, FIRST_HASH), ("B", SECOND, SECOND_HASH)]) == []
    tampered = RecordFields(**{**FIRST.__dict__, "total": Decimal("1234.50")})
    assert [(b.number, b.reason) for b in verify([("A", tampered, FIRST_HASH), ("B", SECOND, SECOND_HASH)])] == [("A", "fingerprint")]
    assert [(b.number, b.reason) for b in verify([("B", SECOND, SECOND_HASH)])] == [("B", "previous")]


def test_the_qr_holds_the_aeat_check_url():
    assert qr_url(issuer_tax_id="89890001K", number="12345678&G33", issue_date=date(2024, 1, 1), total=Decimal("241.4")) == (
        "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR?nif=89890001K&numserie=12345678%26G33&fecha=01-01-2024&importe=241.40")


@pytest.fixture
def completed(clinic_a, issuer):
    with clinic_context(clinic_a):
        start = datetime.combine(timezone.localdate(timezone=MADRID) - timedelta(days=1), datetime.min.time().replace(hour=3), MADRID)
        practitioner = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
        service = practitioner.services.first()
        patient = Patient.objects.create(first_name="Factura", last_name="Prueba", national_id="12345678Z")
        return Appointment.objects.create(patient=patient, practitioner=practitioner, service=service, start=start, end=start + timedelta(minutes=30),
                                          price=Decimal("60.00"), status=Appointment.Status.COMPLETED)


def staff(email):
    return User.objects.get(email=email)


def test_an_invoice_freezes_its_data_numbers_and_chains(clinic_a, completed):
    with clinic_context(clinic_a):
        reception = staff("recepcion@sonrisa.example")
        first = IssueInvoice(completed.patient, lines=lines_for_appointment(completed), appointment=completed, actor=reception).execute()
        second = IssueInvoice(completed.patient, lines=[Line("Blanqueamiento", Decimal("100"), tax_rate=Decimal("21"))], actor=reception).execute()
        year = timezone.localdate(timezone=MADRID).year
        assert (first.series, second.series) == (f"F{year}", f"F{year}") and second.number == first.number + 1
        assert first.full_number == f"F{year}-{first.number:06d}"
        assert (first.issuer_name, first.issuer_tax_id, first.recipient_name, first.recipient_tax_id) == (
            "Clínica Dental Sonrisa S.L.", "B12345674", "Factura Prueba", "12345678Z")
        assert (first.base, first.tax, first.total, first.currency) == (Decimal("60.00"), Decimal("0.00"), Decimal("60.00"), "EUR")
        assert first.lines.get().tax_exemption == "Exenta de IVA: art. 20.Uno.3º de la Ley 37/1992"
        assert (second.base, second.tax, second.total) == (Decimal("100.00"), Decimal("21.00"), Decimal("121.00"))
        assert second.previous_fingerprint == first.fingerprint and fingerprint(second.record_fields()) == second.fingerprint
        assert verify_chain() == []
        entry = ModelLogEntry.objects.get(action="clinic.invoice.issue", object_id=str(first.pk))
        assert entry.user == reception and entry.data["total"] == "60.00"
        # The issuer's later change of address does not touch an issued invoice.
        InvoicingSettings.objects.update(address="Otra calle 1")
        first.refresh_from_db()
        assert first.issuer_address == "Calle de Alcalá 120, 28009 Madrid"


def test_an_appointment_is_invoiced_once_and_bad_lines_are_refused(clinic_a, completed, english):
    with clinic_context(clinic_a):
        admin = staff("admin@sonrisa.example")
        IssueInvoice(completed.patient, lines=lines_for_appointment(completed), appointment=completed, actor=admin).execute()
        with pytest.raises(ActionError, match="already has an invoice"):
            IssueInvoice(completed.patient, lines=lines_for_appointment(completed), appointment=completed, actor=admin).execute()
        for lines in ([], [Line("", Decimal("1"))], [Line("x", Decimal("-5"))], [Line("x", Decimal("1e12"))], [Line("x", Decimal("5"), quantity=Decimal("0"))],
                      [Line("x", Decimal("5"), tax_rate=Decimal("121"))], [Line("a\x00b", Decimal("5"))]):
            with pytest.raises(ActionError):
                IssueInvoice(completed.patient, lines=lines, actor=admin).execute()
        assert Invoice.objects.count() == 1
        with pytest.raises(ActionPermissionDenied):
            IssueInvoice(completed.patient, lines=[Line("x", Decimal("5"))], actor=staff("lucia.fernandez@sonrisa.example")).execute()


def test_without_the_clinics_tax_data_nothing_is_issued(clinic_a, completed, english):
    with clinic_context(clinic_a):
        InvoicingSettings.objects.update(tax_id="")
        with pytest.raises(ActionError, match="invoicing details"):
            IssueInvoice(completed.patient, lines=lines_for_appointment(completed), actor=staff("admin@sonrisa.example")).execute()
        assert not Invoice.objects.exists()


def test_issued_invoices_refuse_changes_in_the_database_and_take_credit_notes(clinic_a, completed, english):
    with clinic_context(clinic_a):
        admin = staff("admin@sonrisa.example")
        invoice = IssueInvoice(completed.patient, lines=lines_for_appointment(completed), appointment=completed, actor=admin).execute()
        def raw_delete():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM clinic_invoice WHERE id = %s", [invoice.pk])

        for attempt in (lambda: Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("1")), raw_delete,
                        lambda: invoice.lines.update(description="otra cosa")):
            with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
                attempt()
        with pytest.raises(ActionError, match="Say why"):
            IssueCreditNote(invoice, reason=" ", actor=admin).execute()
        note = IssueCreditNote(invoice, reason="Precio equivocado", actor=admin).execute()
        assert note.kind == Invoice.Kind.CREDIT and note.corrects == invoice and note.series.startswith("R")
        assert (note.base, note.total) == (Decimal("-60.00"), Decimal("-60.00"))
        with pytest.raises(ActionError, match="already has a credit note"):
            IssueCreditNote(invoice, reason="otra vez", actor=admin).execute()
        with pytest.raises(ActionError, match="Only an invoice"):
            IssueCreditNote(note, reason="x", actor=admin).execute()
        # Once corrected, the appointment may be invoiced again.
        again = IssueInvoice(completed.patient, lines=lines_for_appointment(completed), appointment=completed, actor=admin).execute()
        assert again.number == invoice.number + 1
        assert verify_chain() == []


def test_the_chain_check_command_shows_a_tampered_record(clinic_a, completed, capsys):
    with clinic_context(clinic_a):
        admin = staff("admin@sonrisa.example")
        first = IssueInvoice(completed.patient, lines=lines_for_appointment(completed), appointment=completed, actor=admin).execute()
        IssueInvoice(completed.patient, lines=[Line("Radiografía", Decimal("30"))], actor=admin).execute()
    call_command("verify_invoice_chain", clinic="sonrisa")
    assert "sonrisa: 2 records, chain intact" in capsys.readouterr().out
    with clinic_context(clinic_a), connection.cursor() as cursor:
        # Someone with database access changes an amount behind the application's back.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE clinic_invoice DISABLE TRIGGER clinic_invoice_immutable")
        cursor.execute("UPDATE clinic_invoice SET total = 6.00 WHERE id = %s", [first.pk])
        cursor.execute("ALTER TABLE clinic_invoice ENABLE TRIGGER clinic_invoice_immutable")
    with pytest.raises(CommandError):
        call_command("verify_invoice_chain", clinic="sonrisa")
    assert f"chain broken at {first.full_number}: its fingerprint does not match its data" in capsys.readouterr().out


def test_the_invoice_pages_by_role(clinic_a, completed, host_client, password):
    with clinic_context(clinic_a):
        invoice = IssueInvoice(completed.patient, lines=lines_for_appointment(completed), appointment=completed, actor=staff("admin@sonrisa.example")).execute()
    pages = [reverse("invoices:index"), reverse("clinic_invoice:detail", args=[invoice.pk]), reverse("clinic_invoice:pdf", args=[invoice.pk]),
             reverse("clinic_invoice:issue") + f"?paciente={completed.patient_id}"]
    for email, allowed in (("admin@sonrisa.example", True), ("recepcion@sonrisa.example", True), ("lucia.fernandez@sonrisa.example", False),
                           ("paciente@sonrisa.example", False), (None, False)):
        client = host_client(clinic_a.primary_host)
        if email:
            client.post("/accounts/login/", {"login": email, "password": password})
        for url in pages:
            response = client.get(url)
            assert (response.status_code == HTTPStatus.OK) == allowed, (email, url, response.status_code)
    admin = host_client(clinic_a.primary_host)
    admin.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    pdf = admin.get(reverse("clinic_invoice:pdf", args=[invoice.pk]))
    assert pdf.content.startswith(b"%PDF-") and pdf["Content-Type"] == "application/pdf"
    detail = text(admin.get(reverse("clinic_invoice:detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="es"))
    assert invoice.full_number in detail and "60,00 €" in detail and "Exenta de IVA" in detail
    export = admin.get(reverse("invoices:index") + "?export=csv")
    body = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert invoice.full_number.split("-")[0] in body and invoice.fingerprint in body


def test_issuing_by_hand_refuses_bad_input_with_a_message(clinic_a, completed, host_client, password):
    client = host_client(clinic_a.primary_host)
    client.post("/accounts/login/", {"login": "recepcion@sonrisa.example", "password": password})
    url = reverse("clinic_invoice:issue") + f"?paciente={completed.patient_id}"
    management = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "20"}
    for row in ({"form-0-description": "Limpieza", "form-0-unit_price": "-10"}, {"form-0-description": "Limpieza", "form-0-unit_price": "1e30"},
                {"form-0-description": "a\x00b", "form-0-unit_price": "10"}, {"form-0-description": "Limpieza"}, {}):
        response = client.post(url, {**management, **row}, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == HTTPStatus.BAD_REQUEST, row
    assert client.get(reverse("clinic_invoice:issue") + "?paciente=99999999999999999999").status_code == HTTPStatus.NOT_FOUND
    service = Service.objects.none()
    with clinic_context(clinic_a):
        service = completed.service
    response = client.post(url, {**management, "form-0-service": service.pk, "form-0-quantity": "2"})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        invoice = Invoice.objects.get()
        assert invoice.total == service.price * 2 and invoice.lines.get().description == service.name


def test_the_demo_invoices_are_real_and_render(clinic_a, host_client, password):
    from tenants.demo_agenda import seed_agenda
    from tenants.demo_invoicing import seed_invoices

    seed_agenda(clinic_a)
    assert seed_invoices(clinic_a) == 7  # five invoices, a credit note, and the re-issued invoice
    assert seed_invoices(clinic_a) == 0  # idempotent
    with clinic_context(clinic_a):
        assert verify_chain() == []
        note = Invoice.objects.get(kind=Invoice.Kind.CREDIT)
    client = host_client(clinic_a.primary_host)
    client.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    assert "Importe equivocado" in text(client.get(reverse("clinic_invoice:detail", args=[note.pk])))
    assert client.get(reverse("invoices:index")).status_code == HTTPStatus.OK
    assert client.get(reverse("clinic_records:patient", args=[note.patient_id])).status_code == HTTPStatus.OK


def test_patients_download_their_own_invoices_and_no_one_elses(clinic_a, issuer, host_client, password):
    with clinic_context(clinic_a):
        admin = staff("admin@sonrisa.example")
        mine = IssueInvoice(Patient.objects.get(email="paciente@sonrisa.example"), lines=[Line("Revisión", Decimal("40"))], actor=admin).execute()
        theirs = IssueInvoice(Patient.objects.create(first_name="Otra", last_name="Persona"), lines=[Line("Limpieza", Decimal("50"))], actor=admin).execute()
    client = host_client(clinic_a.primary_host)
    client.post("/accounts/login/", {"login": "paciente@sonrisa.example", "password": password})
    page = text(client.get(reverse("patients_portal:appointments"), HTTP_ACCEPT_LANGUAGE="es"))
    assert mine.full_number in page and "40,00 €" in page and theirs.full_number not in page
    pdf = client.get(reverse("patients_portal:invoice", args=[mine.pk]))
    assert pdf.status_code == HTTPStatus.OK and pdf.content.startswith(b"%PDF-")
    assert client.get(reverse("patients_portal:invoice", args=[theirs.pk])).status_code == HTTPStatus.NOT_FOUND
    assert host_client(clinic_a.primary_host).get(reverse("patients_portal:invoice", args=[mine.pk])).status_code == HTTPStatus.FOUND  # sign in first
