"""allauth glue: queued e-mails and links that are worth nothing at another clinic."""

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import connection

from .mail import queue_email, sender


class AccountAdapter(DefaultAccountAdapter):
    """allauth runs only in clinic schemas; its e-mails are rendered now and sent by a job."""

    def send_mail(self, template_prefix, email, context):
        """Render now, in the recipient's language (their stored one, else the page's), and
        queue. allauth's templates greet from ``current_site.name``: without
        django.contrib.sites that was empty ("¡Hola de parte de !"), so it is the clinic."""
        from django.utils.translation import get_language

        from .mail import recipient_language

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
        from types import SimpleNamespace

        from theme.models import BrandSettings

        if request is None or not hasattr(request, "tenant"):
            return SimpleNamespace(name="", domain="")
        return SimpleNamespace(name=BrandSettings.for_request(request).name_for(request), domain=request.get_host())

    @staticmethod
    def _user_for_email(email):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(email__iexact=email).only("language").first() if isinstance(email, str) else None

    def get_login_redirect_url(self, request):
        from django.urls import reverse

        return reverse("patients_portal:account")

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
    from allauth.account.utils import user_pk_to_url_str
    from django.urls import reverse

    from .tenancy import clinic_url

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
    from .mail import header_text, render_email
    from .tenancy import clinic_url

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
