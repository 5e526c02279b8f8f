"""The one door to django-tenants' machinery (STYLE.md "One door per outside system").

Other apps switch schema, build clinic URLs and check the clone template only
through these helpers.
"""

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import (
    get_public_schema_name,
    get_tenant_model,
    schema_context,
    schema_exists,
    tenant_context,
)

__all__ = [
    "TemplateOutOfDate",
    "clinic_context",
    "clinic_url",
    "clinic_zone",
    "clone_schema",
    "current_schema",
    "missing_template_migrations",
    "public_context",
    "schema_context",
    "schema_exists",
    "template_schema",
    "tenant_for",
    "tenant_context",
    "assert_template_current",
    "platform_url",
]


class TemplateOutOfDate(RuntimeError):
    """Cloning the template would fake migrations whose tables it lacks (STACK-NOTES)."""


def current_schema() -> str:
    return connection.schema_name


def public_context():
    return schema_context(get_public_schema_name())


def clinic_context(clinic):
    return tenant_context(clinic)


def tenant_for(schema_name: str):
    """Context for work in ``schema_name``: the real tenant row when there is one (so
    ``connection.tenant`` knows the clinic's time zone and currency), else the bare schema."""
    with schema_context(get_public_schema_name()):
        tenant = get_tenant_model().objects.filter(schema_name=schema_name).first()
    return tenant_context(tenant) if tenant is not None else schema_context(schema_name)


def clinic_zone():
    """The current clinic's time zone (every time a clinic shows or books is in it)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(connection.tenant.time_zone)


def template_schema() -> str:
    return settings.TENANT_BASE_SCHEMA


def clinic_url(clinic, path: str = "/") -> str:
    """Absolute URL of ``path`` on the clinic's primary domain (e-mails, redirects)."""
    domain = clinic.get_primary_domain()
    host = domain.domain if domain else f"{clinic.slug}.{settings.PLATFORM_HOST}"
    port = f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""
    return f"{settings.PLATFORM_SCHEME}://{host}{port}{path}"


def platform_url(path: str = "/") -> str:
    return f"{settings.PLATFORM_SCHEME}://{settings.PLATFORM_DOMAIN}{path}"


def _tenant_app_labels() -> set[str]:
    from django.apps import apps

    labels = set()
    for name in settings.TENANT_APPS:
        for config in apps.get_app_configs():
            if config.name == name:
                labels.add(config.label)
    return labels


def missing_template_migrations(schema_name: str | None = None) -> list[tuple[str, str]]:
    """Tenant-app migrations the code has and the template schema has not applied.

    Empty list: the template is current. A missing schema lists every migration.
    """
    schema_name = schema_name or template_schema()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = _tenant_app_labels()
    expected = {key for key in loader.graph.nodes if key[0] in labels}
    if not schema_exists(schema_name):
        return sorted(expected)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT app, name FROM "{schema_name}".django_migrations'  # name checked by schema_exists
        )
        applied = set(cursor.fetchall())
    return sorted(expected - applied)


def clone_schema(*, source: str, target: str, mode: str = "DATA") -> None:
    """Copy ``source`` (tables and rows) into a new schema ``target``, then return the
    connection to public, where tenant rows are saved."""
    from django_tenants.clone import CloneSchema

    CloneSchema().clone_schema(source, target, mode)
    connection.set_schema_to_public()


def assert_template_current(schema_name: str | None = None) -> None:
    missing = missing_template_migrations(schema_name)
    if missing:
        shown = ", ".join(f"{app}.{name}" for app, name in missing[:5])
        raise TemplateOutOfDate(
            f"The clinic template schema lacks {len(missing)} migration(s) ({shown}...). "
            "Run `manage.py migrate_schemas` before creating clinics."
        )
