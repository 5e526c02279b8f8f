"""Issue 11, item 3: invoice numbers under concurrency. Ten issuers at once, each on its
own connection with real commits (so this module has no test transaction): ten
numbers in a row, none twice, none skipped, and the chain intact in issue order."""

import threading
from decimal import Decimal

from django.db import connection, connections

from clinic.actions.invoices import IssueInvoice, Line, verify_chain
from clinic.models import Invoice, InvoiceSeries, InvoicingSettings, Patient
from portal.models import User
from portal.tenancy import clinic_context, public_context
from tests.helpers import triggers_off


def purge_invoices():
    """Test clean-up of committed invoices: the database refuses deleting them otherwise."""
    with triggers_off("clinic_invoiceline", "clinic_invoice"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM clinic_invoiceline")
        cursor.execute("DELETE FROM clinic_invoice")
    InvoiceSeries.objects.all().delete()


def test_ten_issuers_at_once_get_ten_consecutive_numbers(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tenants.models import Clinic

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            purge_invoices()
            settings = InvoicingSettings.load()
            settings.legal_name, settings.tax_id, settings.address = "Clínica Dental Sonrisa S.L.", "B12345674", "Calle de Alcalá 120, Madrid"
            settings.save()
            patient = Patient.objects.create(first_name="Carrera", last_name="Facturas")
            reception = User.objects.get(email="recepcion@sonrisa.example")
        outcomes, barrier = [], threading.Barrier(10)

        def issue(i):
            try:
                with clinic_context(clinic):
                    barrier.wait()
                    invoice = IssueInvoice(patient, lines=[Line(f"Sesión {i}", Decimal("40"))], actor=reception).execute()
                outcomes.append(invoice.number)
            except Exception as error:  # noqa: BLE001 - shown in the assertion
                outcomes.append(repr(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=issue, args=(i,)) for i in range(10)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert sorted(outcomes) == list(range(1, 11)), outcomes
            with clinic_context(clinic):
                numbers = list(Invoice.objects.order_by("pk").values_list("number", flat=True))
                assert numbers == list(range(1, 11))  # in the order of issue
                assert verify_chain() == []
        finally:
            with clinic_context(clinic):
                purge_invoices()
                Patient.objects.filter(pk=patient.pk).delete()
                InvoicingSettings.objects.update(legal_name="", tax_id="", address="")
            connection.set_schema_to_public()
