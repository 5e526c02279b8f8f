"""Billing e-mails to a clinic's admins, sent by a job inside the clinic's schema."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.template.loader import render_to_string
from django.utils.translation import override

from portal.mail import sender
from portal.tenancy import clinic_url, public_context

TEMPLATES = {"receipt", "payment_failed", "suspended", "add_card"}


def send_billing_email(*, clinic_id: int, template: str, payment_id: int | None = None) -> None:
    from clinic.roles import clinic_admin_emails
    from tenants.models import Clinic

    from .models import Payment

    if template not in TEMPLATES:
        raise ValueError(template)
    recipients = clinic_admin_emails()  # this job runs in the clinic's schema
    schema = connection.schema_name
    with public_context():
        clinic = Clinic.objects.select_related("plan").get(pk=clinic_id)
        payment = Payment.objects.filter(pk=payment_id).first() if payment_id else None
        billing_url = clinic_url(clinic, "/admin/facturacion/")
    if not recipients:
        return
    context = {"clinic": clinic, "payment": payment, "billing_url": billing_url, "schema": schema}
    with override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"billing/email/{template}_subject.txt", context).split())
        body = render_to_string(f"billing/email/{template}_message.txt", context)
    EmailMultiAlternatives(subject, body, sender("Clinic Portal"), recipients).send()
