"""E-mail goes out through the job queue, never inside a request (PRIOR-ART #33).

Messages are rendered where the request and language are known, then handed to a
job as plain data once the surrounding transaction commits (a rolled-back signup
sends nothing); the job sends them in the same schema, so a slow or failing mail
server never slows or breaks a page.
"""

from email.headerregistry import Address
from email.utils import parseaddr
from functools import partial

from django.conf import settings

from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from .tasks import enqueue
from .tenancy import current_schema


def sender(display_name: str) -> str:
    """``DEFAULT_FROM_EMAIL``'s address under the clinic's name, e.g. "Clínica Sonrisa <no-reply@…>"."""
    # Unencoded but correctly quoted: Django encodes the header itself when sending.
    return str(Address(display_name=display_name, addr_spec=parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def queue_email(message: EmailMultiAlternatives) -> None:
    """Queue an already-rendered message, to be sent after the current transaction commits."""
    alternatives = [(content, mimetype) for content, mimetype in getattr(message, "alternatives", [])]
    transaction.on_commit(
        partial(
            enqueue,
            "portal.mail.send_email",
            schema_name=current_schema(),
            task_name="email",
            subject=message.subject,
            body=message.body,
            from_email=message.from_email,
            to=list(message.to),
            reply_to=list(message.reply_to),
            alternatives=alternatives,
            content_subtype=message.content_subtype,
            headers=dict(message.extra_headers),
        )
    )


def send_email(*, subject, body, from_email, to, reply_to=(), alternatives=(), content_subtype="plain", headers=None):
    """Job: send one message. A failure raises so django-q2 records and retries it."""
    message = EmailMultiAlternatives(subject, body, from_email, to, reply_to=list(reply_to), headers=headers or {})
    message.content_subtype = content_subtype
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    message.send()
