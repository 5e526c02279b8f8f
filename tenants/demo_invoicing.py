"""Invoices for the demo clinics: the clinic's invoicing details, and an invoice for each
of a few completed demo appointments (one of them corrected by a credit note).

Run by seed_demo after seed_agenda. Unlike the other demo fixtures these go through
clinic.actions.invoices (as the system), so the numbers and the chain are real.
Idempotent: a clinic that has invoices gets none added.
"""

from portal.tenancy import clinic_context


def seed_invoices(clinic, *, count=5) -> int:
    with clinic_context(clinic):
        from clinic.actions.invoices import IssueCreditNote, IssueInvoice, lines_for_appointment
        from clinic.models import Appointment, Invoice, InvoicingSettings
        from theme.models import BrandSettings

        if Invoice.objects.exists():
            return 0
        settings = InvoicingSettings.load()
        if not settings.complete:
            brand = BrandSettings.objects.first()
            settings.legal_name = settings.legal_name or f"{clinic.name} S.L."
            settings.tax_id = settings.tax_id or "B12345674"
            settings.address = settings.address or (brand.address if brand and brand.address else "Calle Mayor 1, 28013 Madrid")
            settings.save()
        done = Appointment.objects.filter(status=Appointment.Status.COMPLETED).select_related("patient", "service").order_by("start")[:count]
        issued = [IssueInvoice(a.patient, lines=lines_for_appointment(a), appointment=a).execute() for a in done]
        if issued:
            IssueCreditNote(issued[0], reason="Importe equivocado").execute()
            IssueInvoice(issued[0].patient, lines=lines_for_appointment(issued[0].appointment), appointment=issued[0].appointment).execute()
        return Invoice.objects.count()
