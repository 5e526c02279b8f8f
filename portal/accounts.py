"""Accounts and sign-in: allauth glue, one sign-in per host, throttles and the security log.

- allauth's e-mails are queued, and its links are worth nothing at another clinic.
- Clinic hosts have one sign-in, allauth's (rate-limited, enforcing e-mail verification):
  Wagtail's own login and password-reset routes lead to it (``staff_sign_in``).
- The operators' Django admin on the platform host is throttled per IP and per account
  (``OperatorAuthenticationForm`` in portal/admin.py uses the helpers here).
- Every failed sign-in, and every refusal for too many failures, is logged to
  ``portal.security`` with the client's IP and the schema.
"""

import hashlib
import logging
from types import SimpleNamespace
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language
from django_tenants.utils import get_public_schema_name

from .mail import header_text, queue_email, recipient_language, render_email, sender
from .models import User
from .tenancy import clinic_url, current_schema
from .throttle import client_ip, hit

security_log = logging.getLogger("portal.security")


class AccountAdapter(DefaultAccountAdapter):
    """allauth runs only in clinic schemas; its e-mails are rendered now and sent by a job."""

    def send_mail(self, template_prefix, email, context):
        """Render now, in the recipient's language (their stored one, else the page's), and
        queue. allauth's templates greet from ``current_site.name``: without
        django.contrib.sites that was empty ("¡Hola de parte de !"), so it is the clinic."""
        request = self.request
        ctx = {"request": request, "email": email, "clinic": getattr(request, "tenant", None), "current_site": self._clinic_site(request)}
        ctx.update(context)
        recipient = ctx.get("user") or self._user_for_email(email)
        with recipient_language(recipient, default=get_language()):
            message = self.render_mail(template_prefix, email, ctx)
        queue_email(message)

    @staticmethod
    def _clinic_site(request):
        """What allauth's e-mail templates call the site: the clinic's name and host."""
        from theme.models import BrandSettings

        if request is None or not hasattr(request, "tenant"):
            return SimpleNamespace(name="", domain="")
        return SimpleNamespace(name=BrandSettings.for_request(request).name_for(request), domain=request.get_host())

    @staticmethod
    def _user_for_email(email):
        return User.objects.filter(email__iexact=email).only("language").first() if isinstance(email, str) else None

    def get_login_redirect_url(self, request):
        return reverse("patients_portal:account")

    def pre_authenticate(self, request, **credentials):
        """allauth refuses a sign-in while its ``login_failed`` limit holds: log the refusal."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            security_log.warning(
                "sign-in refused, too many failures: %s from %s at %s",
                _login_name(credentials), client_ip(request), connection.schema_name,
            )
            raise

    def get_from_email(self):
        from theme.models import BrandSettings

        request = self.request
        if request is None or not hasattr(request, "tenant"):
            return super().get_from_email()
        return sender(BrandSettings.for_request(request).name_for(request))


class ClinicTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset and set-password tokens bound to the clinic's schema.

    User ids repeat across clinics, so the token also hashes the schema name: a link
    made for user #3 of one clinic fails for user #3 of any other (tenancy rule 2).
    """

    key_salt = "portal.accounts.ClinicTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{connection.schema_name}:{super()._make_hash_value(user, timestamp)}"


clinic_token_generator = ClinicTokenGenerator()


def set_password_url(*, user, clinic) -> str:
    """The allauth "set a new password" link for ``user``, on the clinic's own host."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": clinic_token_generator.make_token(user)},
        urlconf="portal.urls_tenant",
    )
    return clinic_url(clinic, path)


def queue_set_password_email(*, user, clinic) -> None:
    """Invite a new staff member to choose a password (in the clinic's schema), in their
    language (``user.language``, else the clinic's). Side effect: one e-mail queued.

    The link is a password-reset token bound to this clinic's schema; no password is
    ever sent by e-mail (PRIOR-ART #26).
    """
    context = {
        "user": user,
        "clinic": clinic,
        "set_password_url": set_password_url(user=user, clinic=clinic),
        "admin_url": clinic_url(clinic, "/admin/"),
        "site_url": clinic_url(clinic, "/"),
    }
    queue_email(
        render_email("account/email/set_password", context, language=user, to=[user.email], from_email=sender(header_text(clinic.name)))
    )


def queue_staff_invitation_email(*, user, clinic, invited_by=None) -> None:
    """Invite a staff member whom a clinic admin added: one e-mail, queued until the
    transaction commits, with a set-password link that works once and only at ``clinic``.
    The admin never chooses, sees or types the person's password (issue 8, #7). Written in
    the language the invite stored on the account (Spanish by default)."""
    context = {
        "user": user,
        "clinic": clinic,
        "invited_by_name": (invited_by.get_full_name() or invited_by.email) if invited_by else clinic.name,
        "set_password_url": set_password_url(user=user, clinic=clinic),
        "admin_url": clinic_url(clinic, "/admin/"),
    }
    queue_email(
        render_email("account/email/staff_invite", context, language=user, to=[user.email], from_email=sender(header_text(clinic.name)))
    )


def queue_two_factor_reset_email(*, user, clinic, reset_by) -> None:
    """Tell a staff member that a clinic admin switched off their two-factor sign-in (a lost
    phone), in their language, with who did it. Side effect: one e-mail queued."""
    context = {
        "user": user,
        "clinic": clinic,
        "reset_by_name": reset_by.get_full_name() or reset_by.email,
        "mfa_url": clinic_url(clinic, reverse("mfa_index", urlconf="portal.urls_tenant")),
    }
    queue_email(
        render_email("account/email/two_factor_reset", context, language=user, to=[user.email], from_email=sender(header_text(clinic.name)))
    )


def remember_language(*, user, code: str) -> None:
    """Keep a signed-in person's language choice on their account, so e-mails (sent later,
    by jobs, with no request) are written in it. Anonymous users and unknown codes change
    nothing. Side effect: the user row's ``language``."""
    if user is None or not user.is_authenticated or code not in dict(settings.LANGUAGES) or user.language == code:
        return
    user.language = code
    user.save(update_fields=["language"])


@receiver(pre_save, sender=User, dispatch_uid="portal_no_superusers_in_clinics")
def refuse_clinic_superusers(sender, instance, **kwargs):
    """Clinic schemas have no superusers (issue 8, #7): a superuser there opened groups, sites
    and collections, and a clinic's rights are its staff roles. Only the platform's operators
    (public schema) may be superusers. Raises PermissionDenied; writes nothing."""
    if instance.is_superuser and current_schema() != get_public_schema_name():
        raise PermissionDenied("Accounts of a clinic cannot be superusers.")


# SIGN-IN: one door per host, throttles, and the security log
# ------------------------------------------------------------------------------

def _login_name(credentials) -> str:
    return str(credentials.get("email") or credentials.get("username") or credentials.get("login") or "").strip().lower()


@receiver(user_login_failed, dispatch_uid="portal_log_failed_sign_in")
def log_failed_sign_in(sender, credentials, request=None, **kwargs):
    """Django sends this for every failed ``authenticate()``: allauth's sign-in on clinic
    hosts and the operators' Django admin on the platform host alike."""
    security_log.warning(
        "failed sign-in: %s from %s at %s", _login_name(credentials), client_ip(request), connection.schema_name
    )


def staff_sign_in(request):
    """Wagtail's own login views (``/admin/login/``, the front-end ``/_util/login/``) lead to the
    clinic's one sign-in, allauth's, keeping ``next``.

    ``WAGTAILADMIN_LOGIN_URL`` only changes where Wagtail redirects; its login route stays
    reachable with no rate limit, no lockout and no e-mail verification (issue 8, #6).
    """
    next_url = request.GET.get("next") or reverse("wagtailadmin_home")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url}, safe='/')}")


def _operator_keys(*, ip: str, email: str) -> dict[str, str]:
    account = hashlib.sha256(email.encode()).hexdigest()
    return {"ip": f"operator-login-failures:ip:{ip}", "account": f"operator-login-failures:account:{account}"}


def operator_login_blocked(*, ip: str, email: str) -> bool:
    """True while this IP or this account has used up its failed sign-ins for the window
    (``OPERATOR_LOGIN_FAILURES``, ``OPERATOR_LOGIN_WINDOW_SECONDS``). Reads the cache only."""
    keys = _operator_keys(ip=ip, email=email)
    counts = cache.get_many(keys.values())
    return any(counts.get(key, 0) >= settings.OPERATOR_LOGIN_FAILURES[kind] for kind, key in keys.items())


def record_operator_login_failure(*, ip: str, email: str) -> None:
    """Count one failed operator sign-in against the IP and the account (cache writes).

    A fixed window that starts at the first failure; a success does not reset it, so an
    attacker cannot interleave their own good logins with guesses (allauth does the same).
    """
    for key in _operator_keys(ip=ip, email=email).values():
        hit(key, timeout=settings.OPERATOR_LOGIN_WINDOW_SECONDS)
