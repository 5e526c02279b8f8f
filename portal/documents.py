"""The staff's document upload form: the file's content must match its extension.

Wagtail checks only the extension (WAGTAILDOCS_EXTENSIONS) and the size
(WAGTAILDOCS_MAX_UPLOAD_SIZE). A ``.pdf`` that is really an HTML page or a program
would then be kept and handed to patients, so every upload is also checked by its
first bytes (issue 8, item 9). Wagtail uses this form for the single and the
multiple uploader and the chooser (settings ``WAGTAILDOCS_DOCUMENT_FORM_BASE``).
"""

import zipfile

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from wagtail.documents.forms import BaseDocumentForm


def _zip_with(*members):
    """An Office Open XML or OpenDocument file: a zip archive holding ``members``."""

    def check(upload, head):
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        return all(any(name == m or name.startswith(m) for name in names) for m in members)

    return check


def _starts_with(*signatures):
    return lambda upload, head: head.startswith(signatures)


def _plain_text(upload, head):
    data = upload.read()
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Extension → check of the content. An extension missing here is refused.
CONTENT_CHECKS = {
    "pdf": _starts_with(b"%PDF-"),
    "png": _starts_with(b"\x89PNG\r\n\x1a\n"),
    "jpg": _starts_with(b"\xff\xd8\xff"),
    "jpeg": _starts_with(b"\xff\xd8\xff"),
    "txt": _plain_text,
    "docx": _zip_with("[Content_Types].xml", "word/"),
    "xlsx": _zip_with("[Content_Types].xml", "xl/"),
    "odt": _zip_with("mimetype", "content.xml"),
    "ods": _zip_with("mimetype", "content.xml"),
}


def content_matches_extension(upload) -> bool:
    """Whether the uploaded file's first bytes are those of a file of its extension."""
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    check = CONTENT_CHECKS.get(extension)
    if check is None:
        return False
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    try:
        return check(upload, head)
    finally:
        upload.seek(0)


class DocumentForm(BaseDocumentForm):
    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile) and not content_matches_extension(upload):
            extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
            raise ValidationError(
                _("The file's content does not match its extension (.%(extension)s). Upload the original file."),
                code="content_mismatch",
                params={"extension": extension},
            )
        return upload

    def _post_clean(self):
        """Wagtail's model check of the extension runs even once the file was refused, on an
        empty file, and added "File extension “” is not allowed" under our message."""
        super()._post_clean()
        errors = self._errors.get("file")
        if errors and any(error.code == "content_mismatch" for error in errors.as_data()):
            errors.data[:] = [error for error in errors.as_data() if error.code == "content_mismatch"]
