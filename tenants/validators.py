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
