"""Platform use cases (public schema): the platform row, the clone template, new clinics."""

import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.tenancy import (
    assert_template_current,
    clinic_context,
    public_context,
    template_schema,
)

from .models import Clinic, Domain, Plan
from .validators import validate_clinic_slug, validate_time_zone

logger = logging.getLogger(__name__)

DEFAULT_PLANS = [
    dict(code="prueba", name="Prueba", description="30 días para probarlo todo, sin tarjeta.", price=Decimal("0"), interval=Plan.Interval.MONTH, trial_days=30, max_practitioners=2, max_staff_users=4, sort_order=0),
    dict(code="mensual", name="Mensual", description="Todo incluido, mes a mes.", price=Decimal("49.00"), interval=Plan.Interval.MONTH, trial_days=0, max_practitioners=10, max_staff_users=20, sort_order=1),
    dict(code="anual", name="Anual", description="Dos meses gratis al pagar el año.", price=Decimal("490.00"), interval=Plan.Interval.YEAR, trial_days=0, max_practitioners=None, max_staff_users=None, sort_order=2),
]


def ensure_platform() -> Clinic:
    """The platform's own tenant row and domain, default plans, and a current clone template.

    Idempotent; run by ``manage.py setup_platform`` (``make dev``, ``make test``, release).
    Side effects: may create the template schema (all migrations, about 10 s once).
    """
    with public_context():
        platform, _created = Clinic.objects.get_or_create(
            schema_name="public", defaults={"name": "Clinic Portal", "slug": "platform", "kind": Clinic.Kind.PLATFORM}
        )
        Domain.objects.update_or_create(domain=settings.PLATFORM_HOST, defaults={"tenant": platform, "is_primary": True})
        for plan in DEFAULT_PLANS:
            Plan.objects.get_or_create(code=plan["code"], defaults=plan)
        prepare_template()
    return platform


def prepare_template() -> Clinic:
    """Create (once) and seed the clone template; refuse to go on if it lags the code."""
    from clinic.defaults import seed_clinic_defaults
    from theme.defaults import build_default_site

    template = Clinic.objects.filter(schema_name=template_schema()).first()
    if template is None:
        # Not get_or_create: its transaction would wrap every migration of the new
        # schema, and Wagtail's data migrations then fail on pending trigger events.
        template = Clinic(schema_name=template_schema(), name="Template", slug="template", kind=Clinic.Kind.TEMPLATE)
        template.save(verbosity=0)
    assert_template_current()
    with clinic_context(template):
        build_default_site()
        seed_clinic_defaults()
    return template


def create_clinic(
    *,
    name: str,
    slug: str,
    admin_email: str,
    plan: Plan | None = None,
    time_zone: str = "Europe/Madrid",
    currency: str = "EUR",
    brand: dict | None = None,
    admin_first_name: str = "",
    admin_last_name: str = "",
) -> tuple[Clinic, bool]:
    """A live clinic: schema cloned from the template, domain, site, brand, admin user.

    Idempotent by ``slug``: a second call finds the clinic and completes anything
    missing, never making a second one. One transaction: a failure leaves no schema,
    no row and no user behind. Side effects: a schema, a Clinic and a Domain row,
    the admin user and, when that user is new, a queued set-password e-mail (sent
    after commit). Returns ``(clinic, created)``.
    """
    from clinic.roles import Role
    from clinic.staff import add_staff_member
    from portal.accounts import queue_set_password_email
    from theme.defaults import configure_site

    validate_clinic_slug(slug)
    validate_time_zone(time_zone)
    if not name.strip():
        raise ValidationError(_("The clinic needs a name."))
    with public_context(), transaction.atomic():
        clinic = Clinic.objects.filter(slug=slug).first()
        created = clinic is None
        if created:
            clinic = Clinic(
                name=name.strip(), slug=slug, schema_name=Clinic.schema_for_slug(slug), kind=Clinic.Kind.CLINIC,
                plan=plan, time_zone=time_zone, currency=currency,
            )
            clinic.save(verbosity=0)  # clones the template schema (Clinic.create_schema guards it)
        elif clinic.kind != Clinic.Kind.CLINIC:
            raise ValidationError(_("“%(slug)s” is reserved. Please choose another address.") % {"slug": slug})
        host = f"{slug}.{settings.PLATFORM_HOST}"
        domain, _created = Domain.objects.get_or_create(domain=host, defaults={"tenant": clinic, "is_primary": True})
        if domain.tenant_id != clinic.pk:
            raise ValidationError(_("The address %(host)s is already in use.") % {"host": host})
        with clinic_context(clinic):
            configure_site(name=clinic.name, host=clinic.primary_host, brand=brand if created else None)
            admin, admin_created = add_staff_member(
                email=admin_email, role=Role.CLINIC_ADMIN, first_name=admin_first_name, last_name=admin_last_name
            )
            if admin_created:
                queue_set_password_email(user=admin, clinic=clinic)
    logger.info("clinic %s %s", slug, "created" if created else "already existed")
    return clinic, created
