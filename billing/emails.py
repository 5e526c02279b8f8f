"""Billing e-mails to a clinic's admins, sent by a job inside the clinic's schema.

The job runs with the clinic's time zone active (``portal.tasks.run_in_schema``), so
"paid until" and period dates are the clinic's calendar dates; each admin gets the
e-mail in their own language.
"""

from django.db import connection

from portal.mail import language_for, render_email, sender
from portal.tenancy import clinic_url, public_context

TEMPLATES = {"receipt", "payment_failed", "suspended", "add_card"}


def _admins_by_language() -> dict[str, list[str]]:
    """The clinic's admins' addresses (``clinic_admin_emails``), grouped by the language they read."""
    from django.contrib.auth import get_user_model

    from clinic.roles import clinic_admin_emails

    emails = sorted(set(clinic_admin_emails()))
    languages = dict(get_user_model().objects.filter(email__in=emails).values_list("email", "language"))
    groups: dict[str, list[str]] = {}
    for email in emails:
        groups.setdefault(language_for(languages.get(email, "")), []).append(email)
    return groups


def send_billing_email(*, clinic_id: int, template: str, payment_id: int | None = None) -> None:
    """Job (clinic schema): one e-mail per language to the clinic's admins."""
    from tenants.models import Clinic

    from .models import Payment, PlatformInvoice

    if template not in TEMPLATES:
        raise ValueError(template)
    recipients = _admins_by_language()  # this job runs in the clinic's schema
    schema = connection.schema_name
    with public_context():
        clinic = Clinic.objects.select_related("plan").get(pk=clinic_id)
        payment = Payment.objects.filter(pk=payment_id).first() if payment_id else None
        # The receipt names the platform's invoice, issued with the payment (billing.invoices).
        invoice = PlatformInvoice.objects.filter(payment=payment, corrects__isnull=True).first() if payment else None
        billing_url = clinic_url(clinic, "/admin/facturacion/")
    context = {"clinic": clinic, "payment": payment, "invoice": invoice, "billing_url": billing_url, "schema": schema}
    for language, emails in recipients.items():
        render_email(f"billing/email/{template}", context, language=language, to=emails, from_email=sender("Clinic Portal")).send()
