"""Who may read which part of a record, and the access log every read writes.

Roles (clinic.roles): practitioners and clinic admins read and write clinical content;
reception sees contact data, alerts, the agenda and documents marked administrative;
a private note is read by its author and by clinic admins only. Every view, export
and download of clinical data writes an ``AccessLogEntry`` (Wagtail's log keeps the
writes; it has no reads).
"""

import ipaddress

from django.core.exceptions import PermissionDenied

from portal.throttle import client_ip

from .models import AccessLogEntry

READ_CLINICAL = "records.view_visit"
WRITE_CLINICAL = "records.add_visit"


def can_read_clinical(user) -> bool:
    return bool(user and user.is_active and user.has_perm(READ_CLINICAL))


def can_write_clinical(user) -> bool:
    return bool(user and user.is_active and user.has_perm(WRITE_CLINICAL))


def can_see_private_note(user, visit) -> bool:
    return can_read_clinical(user) and (visit.author_id == user.pk or user.has_perm("records.view_any_private_note"))


def require_clinical(user) -> None:
    if not can_read_clinical(user):
        raise PermissionDenied("clinical content")


def can_see_document(user, document) -> bool:
    return can_read_clinical(user) or (document.administrative and user.has_perm("records.view_administrative_document"))


def _role(user) -> str:
    if user is None:
        return ""
    names = list(user.groups.values_list("name", flat=True)[:1])
    if names:
        return names[0][:60]
    return "paciente" if hasattr(user, "patient") else ""


def _ip(request):
    if request is None:
        return None
    ip = client_ip(request)
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def record_access(request, patient, action: str, area: str, detail: str = "", *, user=None) -> AccessLogEntry:
    """Write one access-log line: ``request.user`` (or ``user``) did ``action`` on ``area``
    (``detail``: which visit, which document) of ``patient``, from the request's IP."""
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    who = (user.get_full_name() or user.email) if user else ""  # "" is the system
    return AccessLogEntry.objects.create(
        user=user, who=who[:200], role=_role(user), patient=patient, action=action, area=area, detail=str(detail)[:200], ip=_ip(request),
    )
