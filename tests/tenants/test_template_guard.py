"""Cloning fakes every migration, so a template that lags the code must be refused
(STACK-NOTES "clone template": a lagging template gave clinics tables without columns)."""

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from portal.tenancy import (
    TemplateOutOfDate,
    missing_template_migrations,
    template_schema,
)
from tenants.models import Clinic
from tenants.services import create_clinic

pytestmark = pytest.mark.django_db


def test_the_kept_template_is_current():
    assert missing_template_migrations() == []


def test_cloning_a_template_that_lags_the_code_is_refused():
    with connection.cursor() as cursor:
        # Pretend the template missed the newest clinic migration.
        cursor.execute(
            f'DELETE FROM "{template_schema()}".django_migrations WHERE app = %s AND name = '
            f'(SELECT max(name) FROM "{template_schema()}".django_migrations WHERE app = %s)',
            ["clinic", "clinic"],
        )
    assert missing_template_migrations()
    with pytest.raises(TemplateOutOfDate, match="migrate_schemas"):
        create_clinic(name="Clínica Rezagada", slug="rezagada", admin_email="admin@rezagada.example")
    assert not Clinic.objects.filter(slug="rezagada").exists()
    assert not schema_exists(Clinic.schema_for_slug("rezagada"))


def test_a_missing_template_schema_counts_as_lagging():
    assert missing_template_migrations("no_such_schema")
