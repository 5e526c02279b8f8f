import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Host labels a clinic may not take: platform services and confusable names.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "billing", "blog", "cdn", "dashboard", "dev", "docs",
        "ftp", "help", "imap", "mail", "media", "platform", "pop", "portal", "public", "smtp",
        "static", "status", "stripe", "support", "template", "test", "webmail", "www",
    }
)
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,28})[a-z0-9]$")


def validate_clinic_slug(value: str) -> None:
    if not SLUG_RE.match(value or "") or "--" in value:
        raise ValidationError(
            _("Use 3 to 30 lowercase letters, digits and single hyphens, starting and ending with a letter or digit."),
            code="invalid_slug",
        )
    if value in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved. Please choose another address."), code="reserved", params={"slug": value})


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(zone)s” is not a known time zone."), code="bad_zone", params={"zone": value})


# Tax IDs (the clinic's legal data, printed on the platform's invoices). Spanish ones carry a
# check character, which is verified; other countries' (Mexico's RFC, Colombia's NIT, …) are
# only checked for their characters and length, never refused for not being Spanish.
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
SPANISH_PERSON = re.compile(r"^(\d{8}|[XYZ]\d{7})[A-Z]$")  # DNI, NIE
SPANISH_ENTITY = re.compile(r"^[ABCDEFGHJKLMNPQRSUVW]\d{7}[0-9A-J]$")  # CIF (and K/L/M NIFs)
TAX_ID_SHAPE = re.compile(r"^[A-Z0-9Ñ&][A-Z0-9Ñ&./-]{2,19}$")


def normalize_tax_id(value: str) -> str:
    """Upper case, without spaces: ``b 1234567-4`` and ``B12345674`` are one ID only if typed so."""
    return re.sub(r"\s+", "", value or "").upper()


def spanish_tax_id_valid(value: str) -> bool:
    """A Spanish NIF (DNI, NIE or an entity's CIF) whose check character is right; an ``ES``
    prefix (the EU VAT number) is allowed."""
    value = value[2:] if len(value) == 11 and value.startswith("ES") else value
    if SPANISH_PERSON.match(value):
        digits = str("XYZ".index(value[0])) + value[1:8] if value[0] in "XYZ" else value[:8]
        return DNI_LETTERS[int(digits) % 23] == value[8]
    if SPANISH_ENTITY.match(value):
        digits = value[1:8]
        total = sum(int(d) for d in digits[1::2]) + sum(sum(divmod(int(d) * 2, 10)) for d in digits[0::2])
        control = (10 - total % 10) % 10
        if value[0] in "KLMNPQRSW":
            return value[8] == "JABCDEFGHI"[control]
        if value[0] in "ABEH":
            return value[8] == str(control)
        return value[8] in (str(control), "JABCDEFGHI"[control])
    return False


def validate_tax_id(value: str, *, country: str) -> None:
    """``value`` (normalized) as a tax ID of ``country`` (ISO code; "" when unknown)."""
    if not TAX_ID_SHAPE.match(value):
        raise ValidationError(_("Write the tax ID with letters and digits only (3 to 20 characters)."), code="tax_id_shape")
    if country == "ES" and not spanish_tax_id_valid(value):
        raise ValidationError(_("This is not a valid Spanish NIF: check its digits and its last character."), code="tax_id_check")
