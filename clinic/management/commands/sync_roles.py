from django.core.management.base import BaseCommand

from portal.tenancy import get_public_schema_name, public_context, schema_context, schema_exists, template_schema


class Command(BaseCommand):
    help = "Apply the staff roles defined in code (clinic/roles.py) to every clinic and the clone template. migrate_schemas does it too."

    def handle(self, *args, **options):
        from clinic.roles import sync_roles
        from tenants.models import Clinic

        with public_context():
            schemas = list(Clinic.objects.exclude(schema_name=get_public_schema_name()).values_list("schema_name", flat=True))
        template = template_schema()
        if template not in schemas and schema_exists(template):
            schemas.append(template)
        done = 0
        for schema in schemas:
            with schema_context(schema):
                sync_roles()
            done += 1
        self.stdout.write(f"Roles applied in {done} schemas.")
