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


# The demo clinics' legal data, for the platform's invoices to them.
DEMO_LEGAL = {"sonrisa": ("B12345674", "Calle de Alcalá 120, 28009 Madrid"), "alamos": ("CML180524P76", "Av. Insurgentes Sur 1000, 03100 Ciudad de México")}


def seed_platform_invoices(clinic, *, months=2) -> int:
    """The platform's invoices to a demo clinic: its legal data (when empty) and a paid
    monthly renewal for each of the last ``months`` months, invoiced through
    billing.invoices, so *Plan y facturación* lists real, chained invoices.
    Idempotent: a clinic that has platform invoices gets none added."""
    from datetime import timedelta

    from django.utils import timezone

    from billing.invoices import invoices_of, issue_invoice
    from billing.models import Payment

    from .models import Clinic, Plan

    if invoices_of(clinic).exists():
        return 0
    tax_id, address = DEMO_LEGAL.get(clinic.slug, ("B12345674", "Calle Mayor 1, 28013 Madrid"))
    if not clinic.tax_id:
        Clinic.objects.filter(pk=clinic.pk).update(legal_name=f"{clinic.name} S.L." if clinic.currency == "EUR" else f"{clinic.name} S.C.",
                                                   tax_id=tax_id, fiscal_address=address)
    plan = clinic.plan or Plan.objects.get(code="mensual")
    now = timezone.now()
    for month in range(months, 0, -1):
        start = now - timedelta(days=30 * month)
        payment, _created = Payment.objects.get_or_create(
            clinic=clinic, kind=Payment.Kind.RENEWAL, period_end=start + timedelta(days=30),
            defaults=dict(status=Payment.Status.SUCCEEDED, amount=plan.price, currency=plan.currency, period_start=start, paid_at=start),
        )
        issue_invoice(payment_id=payment.pk)
    return invoices_of(clinic).count()
