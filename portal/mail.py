"""E-mail goes out through the job queue, never inside a request (PRIOR-ART #33).

Messages are rendered where the request and language are known, then handed to a
job as plain data once the surrounding transaction commits (a rolled-back signup
sends nothing); the job sends them in the same schema, so a slow or failing mail
server never slows or breaks a page.

It is also the one renderer (issue 8): every e-mail is rendered in its recipient's
language (:func:`recipient_language`), its plain-text parts with autoescape off so
names show as typed (:func:`render_text`), and header values on one line
(:func:`header_text`). Times are right because jobs run with the clinic's zone active
(``portal.tasks.run_in_schema``).
"""

from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.context import make_context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from .tasks import enqueue_on_commit
from .tenancy import current_schema


def sender(display_name: str) -> str:
    """``DEFAULT_FROM_EMAIL``'s address under the clinic's name, e.g. "Clínica Sonrisa <no-reply@…>"."""
    # Unencoded but correctly quoted: Django encodes the header itself when sending.
    return str(Address(display_name=display_name, addr_spec=parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def language_for(recipient=None, *, default: str | None = None) -> str:
    """The language to write to ``recipient`` in: a language code, or a user (their stored
    ``language``). Unknown or blank falls back to ``default`` (e.g. the request's language),
    then to the clinic default, ``LANGUAGE_CODE``."""
    known = {code for code, _name in settings.LANGUAGES}
    for candidate in (recipient if isinstance(recipient, str) else getattr(recipient, "language", ""), default):
        code = (candidate or "").lower()
        for option in (code, code.split("-")[0]):
            if option in known:
                return option
    return settings.LANGUAGE_CODE


def recipient_language(recipient=None, *, default: str | None = None):
    """``with recipient_language(user): ...`` renders in that person's language."""
    return translation.override(language_for(recipient, default=default))


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template with autoescape off: "O'Brien & <Hijos>" stays as typed.

    HTML escaping belongs to HTML; in a text/plain part it shows as "O&#x27;Brien"."""
    return get_template(template_name).template.render(make_context(context, autoescape=False))


def header_text(value) -> str:
    """A value for a header (subject, display name) on one line: a line break in a
    name made Django refuse the whole message (BadHeaderError, issue 8)."""
    return " ".join(str(value).split())


def render_email(template_prefix: str, context: dict, *, to, from_email, language=None, reply_to=(), headers=None):
    """``<prefix>_subject.txt``, ``<prefix>_message.txt`` and, when it exists,
    ``<prefix>_message.html``, rendered in ``language`` (a code or a user). No side effects:
    returns the message for the caller to send or :func:`queue_email`."""
    code = language_for(language)
    context = {"LANGUAGE_CODE": code, **context}
    with translation.override(code):
        subject = header_text(render_text(f"{template_prefix}_subject.txt", context))
        body = render_text(f"{template_prefix}_message.txt", context)
        try:
            html = render_to_string(f"{template_prefix}_message.html", context)
        except TemplateDoesNotExist:
            html = None
    message = EmailMultiAlternatives(subject, body, from_email, list(to), reply_to=list(reply_to), headers=headers or {})
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def queue_email(message: EmailMultiAlternatives) -> None:
    """Queue an already-rendered message, sent once the current transaction commits (the
    job commits with it: :func:`portal.tasks.enqueue_on_commit`)."""
    alternatives = [(content, mimetype) for content, mimetype in getattr(message, "alternatives", [])]
    enqueue_on_commit(
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


def send_email(*, subject, body, from_email, to, reply_to=(), alternatives=(), content_subtype="plain", headers=None):
    """Job: send one message. A failure raises so django-q2 records and retries it."""
    message = EmailMultiAlternatives(subject, body, from_email, to, reply_to=list(reply_to), headers=headers or {})
    message.content_subtype = content_subtype
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    message.send()
