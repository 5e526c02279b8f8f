"""What a patient document may be: a PDF, PNG or JPEG by its content (not its name),
no larger than the clinic's limit (``Clinic.document_limit_mb``)."""

from django.utils.translation import gettext as _

from clinic.actions.base import ActionError
from portal.documents import CONTENT_CHECKS

# Content type by the file's first bytes; the extension must agree.
TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def sniff(head: bytes) -> str | None:
    return next((kind for signature, kind in SIGNATURES if head.startswith(signature)), None)


def check_upload(upload, *, limit_mb: int) -> str:
    """The upload's content type, or ``ActionError`` saying what is wrong with it."""
    if upload is None or not upload.size:
        raise ActionError(_("Choose a file to upload."))
    if upload.size > limit_mb * 1024 * 1024:
        raise ActionError(_("The file is larger than %(limit)s MB, this clinic's limit.") % {"limit": limit_mb})
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None or extension not in TYPES:
        raise ActionError(_("Only PDF, PNG and JPEG files can be added to a record."))
    if TYPES[extension] != kind or not CONTENT_CHECKS[extension](upload, head):
        raise ActionError(_("The file's content does not match its extension (.%(extension)s). Upload the original file.") % {"extension": extension})
    upload.seek(0)
    return kind
