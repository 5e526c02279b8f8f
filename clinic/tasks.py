"""Jobs run through portal.tasks.enqueue, inside the clinic's schema."""

from django.db import transaction
from django.utils import timezone

from portal.mail import render_email

from .models import ContactMessage
from .roles import clinic_admin_emails


def email_contact_message(*, message_id: int) -> bool:
    """E-mail a contact-form message to the clinic, once.

    Idempotent: ``emailed_at`` is claimed under the row lock, so a duplicated job sends
    nothing more; the send happens after commit (no mail server call under a lock,
    STYLE.md), and a failed send releases the claim and raises, so django-q2's retry
    sends it. Returns True when it sent.
    The name goes into the subject on one line and into the body as typed: a line
    break in it made every attempt fail with BadHeaderError (issue 8).
    """
    from theme.models import BrandSettings

    with transaction.atomic():
        contact = ContactMessage.objects.select_for_update().get(pk=message_id)
        if contact.emailed_at:
            return False
        brand = BrandSettings.for_default_site()
        recipients = [brand.email] if brand.email else clinic_admin_emails()
        if not recipients:
            return False
        # In the clinic's language (no recipient): the inbox is shared by its staff.
        message = render_email(
            "clinic/email/contact_message", {"contact": contact, "brand": brand}, to=recipients, from_email=None, reply_to=[contact.email]
        )
        contact.emailed_at = claimed = timezone.now()
        contact.save(update_fields=["emailed_at"])
    try:
        message.send()
    except Exception:
        ContactMessage.objects.filter(pk=message_id, emailed_at=claimed).update(emailed_at=None)
        raise
    return True


def in_every_clinic(*, func_path: str) -> int:
    """Scheduled job (public): queue ``func_path`` once per clinic, in that clinic's schema."""
    from portal.tasks import enqueue
    from tenants.models import Clinic

    schemas = list(Clinic.objects.clinics().exclude(status=Clinic.Status.CANCELLED).values_list("schema_name", flat=True))
    for schema_name in schemas:
        enqueue(func_path, schema_name=schema_name)
    return len(schemas)
