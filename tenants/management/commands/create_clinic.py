from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.tenancy import TemplateOutOfDate, clinic_url
from tenants.models import Plan
from tenants.services import create_clinic


class Command(BaseCommand):
    help = "Create a live clinic (cloned schema, domain, default pages, services and groups) and e-mail its admin a set-password link. Idempotent by --slug."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Clinic name, e.g. \"Clínica Dental Sonrisa\"")
        parser.add_argument("--slug", required=True, help="Subdomain: 3–30 lowercase letters, digits and hyphens")
        parser.add_argument("--admin-email", required=True, help="The clinic admin, who receives the set-password e-mail")
        parser.add_argument("--plan", help="Plan code (see Django admin › Plans)")
        parser.add_argument("--time-zone", default="Europe/Madrid")
        parser.add_argument("--currency", default="EUR")

    def handle(self, *args, **options):
        plan = None
        if options["plan"]:
            plan = Plan.objects.filter(code=options["plan"]).first()
            if plan is None:
                raise CommandError(f"No plan with code {options['plan']!r}.")
        try:
            clinic, created = create_clinic(
                name=options["name"], slug=options["slug"], admin_email=options["admin_email"], plan=plan,
                time_zone=options["time_zone"], currency=options["currency"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except TemplateOutOfDate as error:
            raise CommandError(str(error)) from error
        verb = "Created" if created else "Already existed:"
        self.stdout.write(self.style.SUCCESS(f"{verb} {clinic.name} at {clinic_url(clinic)} (admin: {clinic_url(clinic, '/admin/')})"))
