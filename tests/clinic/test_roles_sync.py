"""Issue 9, item 2: roles defined in code reach every existing clinic when they change."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from clinic.roles import ROLE_PERMISSIONS, Role, sync_roles, sync_roles_after_migrate
from portal.tenancy import schema_context, schema_exists, template_schema

pytestmark = pytest.mark.django_db


def codenames(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_a_clinic_whose_groups_drifted_is_put_back_to_the_code(clinic_a, in_clinic):
    with in_clinic(clinic_a):
        reception = Group.objects.get(name=Role.RECEPTIONIST.value)
        reception.permissions.remove(Permission.objects.get(codename="change_any_appointment"))
        reception.permissions.add(Permission.objects.get(codename="delete_service"))
        custom = Group.objects.create(name="Higienistas")
        custom.permissions.add(Permission.objects.get(codename="delete_service"))
        sync_roles()
        assert codenames(reception) == set(ROLE_PERMISSIONS[Role.RECEPTIONIST])
        assert codenames(Group.objects.get(name="Higienistas")) == {"clinic.delete_service"}  # a clinic's own group is left alone


def test_the_post_migrate_step_runs_in_clinic_schemas_only_after_the_last_app(clinic_a, in_clinic):
    from django.apps import apps

    last, first = list(apps.get_app_configs())[-1], list(apps.get_app_configs())[0]
    with in_clinic(clinic_a):
        reception = Group.objects.get(name=Role.RECEPTIONIST.value)
        reception.permissions.remove(Permission.objects.get(codename="change_any_appointment"))
        sync_roles_after_migrate(sender=first, app_config=first)
        assert "clinic.change_any_appointment" not in codenames(reception)
        sync_roles_after_migrate(sender=last, app_config=last)
        assert "clinic.change_any_appointment" in codenames(reception)
    sync_roles_after_migrate(sender=last, app_config=last)  # the public schema: nothing to do, no error


def test_the_command_reaches_every_clinic_and_the_clone_template(clinic_a, clinic_b, in_clinic):
    schemas = [clinic_a.schema_name, clinic_b.schema_name] + ([template_schema()] if schema_exists(template_schema()) else [])
    for schema in schemas:
        with schema_context(schema):
            Group.objects.get(name=Role.CLINIC_ADMIN.value).permissions.remove(Permission.objects.get(codename="change_any_appointment"))
    call_command("sync_roles", verbosity=0)
    for schema in schemas:
        with schema_context(schema):
            assert "clinic.change_any_appointment" in codenames(Group.objects.get(name=Role.CLINIC_ADMIN.value))


def test_running_it_twice_changes_nothing(clinic_a, in_clinic, django_assert_max_num_queries):
    with in_clinic(clinic_a):
        sync_roles()
        before = {g.name: codenames(g) for g in Group.objects.all()}
        sync_roles()
        assert {g.name: codenames(g) for g in Group.objects.all()} == before


def test_a_clinic_admin_lets_one_practitioner_change_every_appointment(client_a, clinic_a, in_clinic, password):
    from http import HTTPStatus

    from wagtail.models import ModelLogEntry

    from portal.models import User

    with in_clinic(clinic_a):
        lucia = User.objects.get(email="lucia.fernandez@sonrisa.example")
        data = {"email": lucia.email, "first_name": lucia.first_name, "last_name": lucia.last_name, "is_active": "on",
                "groups": [g.pk for g in lucia.groups.all()], "every_appointment": "on"}
    assert client_a.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password}).status_code == HTTPStatus.FOUND
    form = client_a.get(f"/admin/users/edit/{lucia.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "May change every practitioner&#x27;s appointments" in form or "May change every practitioner's appointments" in form
    response = client_a.post(f"/admin/users/edit/{lucia.pk}/", data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    with in_clinic(clinic_a):
        assert User.objects.get(pk=lucia.pk).has_perm("clinic.change_any_appointment")
        entry = ModelLogEntry.objects.get(action="clinic.staff.every_appointment", object_id=str(lucia.pk))
        assert entry.data["every_appointment"] is True and entry.user.email == "admin@sonrisa.example"
    data.pop("every_appointment")
    client_a.post(f"/admin/users/edit/{lucia.pk}/", data)
    with in_clinic(clinic_a):
        assert not User.objects.get(pk=lucia.pk).has_perm("clinic.change_any_appointment")


def test_the_clinic_app_runs_its_ready_and_the_roles_step_is_connected():
    """Two AppConfigs in clinic/apps.py made Django fall back to a plain AppConfig, so the
    post_migrate step above never ran at release (found in issue 11)."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from clinic.apps import ClinicConfig

    assert type(apps.get_app_config("clinic")) is ClinicConfig
    assert any(key[0] == "clinic_sync_roles" for key, *_ in post_migrate.receivers)
