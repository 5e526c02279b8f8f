"""Staff accounts of a clinic (tenant schema)."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from .roles import Role, ensure_default_groups
from .signals import ensure_profile_time_zone


@transaction.atomic
def add_staff_member(*, email: str, role: Role, first_name: str = "", last_name: str = "", password: str | None = None, language: str = ""):
    """Create (or find) a staff user with ``role`` in the current clinic. Idempotent.

    Without ``password`` the account has no usable password: the person sets one
    through an e-mailed link. The e-mail address is marked verified, since the
    clinic vouches for it. A new account is written to in ``language``, else the
    clinic's (``LANGUAGE_CODE``), until the person picks another. Returns ``(user, created)``.
    """
    User = get_user_model()
    email = email.strip().lower()
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first_name, "last_name": last_name, "is_staff": False, "language": language or settings.LANGUAGE_CODE}
    )
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    elif password:
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    groups = {g.name: g for g in ensure_default_groups().values()}
    user.groups.add(groups[role.value])
    ensure_profile_time_zone(user)  # accounts made before profiles started in the clinic's zone
    return user, created


def invite_staff_member(*, clinic, email: str, role: Role, first_name: str = "", last_name: str = "", invited_by=None):
    """A clinic admin adds a staff member: an account with no usable password, the ``role``'s
    group, and one e-mail with a set-password link that works only at ``clinic``.

    The admin never types another person's password, and cannot make anyone a superuser
    (issue 8, #7). Refuses, with a ValidationError, an address that already has an account
    here (a patient's, or staff already). Side effects: the user, its verified address and
    group (add_staff_member); for a practitioner, their (empty) practitioner profile; the
    invitation e-mail, queued until the transaction commits. Returns the user.
    """
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from portal.accounts import queue_staff_invitation_email

    email = email.strip().lower()
    with transaction.atomic():
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(_("This address already has an account at this clinic."), code="exists")
        user, _created = add_staff_member(email=email, role=role, first_name=first_name, last_name=last_name)
        if role == Role.PRACTITIONER:
            # Their team page (hours, services, time off) is the next step. Inactive until
            # the clinic admin ticks Active on their profile: hidden from the website,
            # the agenda and booking meanwhile.
            from wagtail.log_actions import log

            from .models import Practitioner

            practitioner, _made = Practitioner.objects.get_or_create(user=user, defaults={"active": False})
            log(instance=practitioner, action="wagtail.create", user=invited_by if getattr(invited_by, "is_authenticated", False) else None)
        queue_staff_invitation_email(user=user, clinic=clinic, invited_by=invited_by)
    return user
