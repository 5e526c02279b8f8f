"""Clinic use cases (tenant schema). Keyword-only, one transaction each."""


from portal.tasks import enqueue_on_commit
from portal.tenancy import current_schema

from .models import ContactMessage


def receive_contact_message(*, name: str, email: str, phone: str = "", message: str) -> ContactMessage:
    """Store a website enquiry, then queue the e-mail to the clinic.

    Side effects: one ContactMessage row; after commit, one job
    (``clinic.tasks.email_contact_message``). The row is the record: a failing mail
    server loses nothing, and staff see every message in the admin inbox.
    """
    contact = ContactMessage.objects.create(name=name, email=email, phone=phone, message=message)
    enqueue_on_commit("clinic.tasks.email_contact_message", message_id=contact.pk, schema_name=current_schema())
    return contact
