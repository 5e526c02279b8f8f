"""Clinic use cases called from the website (tenant schema)."""

from .models import ContactMessage


def receive_contact_message(*, name: str, email: str, phone: str = "", message: str) -> ContactMessage:
    """A website enquiry: clinic.actions.self_service.ReceiveContactMessage."""
    from .actions.self_service import ReceiveContactMessage

    return ReceiveContactMessage(name=name, email=email, phone=phone, message=message).execute()
