from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.inventory.demo import seed_inventory
from portal.tenancy import clinic_url, platform_url
from tenants.demo import DEMO_CLINICS, demo_password, seed_clinic, seed_operator
from tenants.demo_activity import seed_activity
from tenants.demo_agenda import seed_agenda
from tenants.demo_invoicing import seed_invoices, seed_platform_invoices
from tenants.demo_plans import seed_plans
from tenants.demo_records import seed_records
from tenants.services import ensure_platform


class Command(BaseCommand):
    help = "Two demo clinics with Spanish content, staff, a patient and a platform operator (idempotent). Prints the logins."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off (demo logins share one password).")

    def handle(self, *args, **options):
        from clinic.costs_demo import seed_costs  # clinic sits above tenants: imported where it is used

        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo makes accounts with a shared password; it runs only with DEBUG on (or --force).")
        password = demo_password()
        ensure_platform()
        operator = seed_operator(password)
        write = self.stdout.write
        write(self.style.SUCCESS("Demo data ready."))
        write(f"\nPlatform      {platform_url('/')}")
        write(f"  operators   {platform_url('/admin/')}  {operator}")
        for data in DEMO_CLINICS:
            result = seed_clinic(data, password)
            clinic = result["clinic"]
            seed_agenda(clinic)  # a fortnight of appointments around today (not in the tests' seed)
            seed_activity(clinic)  # the year before it, for the reports; its invoices first, so the numbering stays in date order
            seed_records(clinic)  # histories, visits, odontograms, documents of a few patients
            seed_invoices(clinic)  # invoicing details and a few invoices, one corrected
            seed_plans(clinic)  # the demo patient's plans: one accepted, paid in part and under way; one waiting
            seed_platform_invoices(clinic)  # the clinic's legal data and the platform's invoices for its plan
            seed_inventory(clinic)  # supplies, a year of stock movements, bills of materials; last week's visits consumed
            seed_costs(clinic)  # suppliers, a year of expenses, recurring rent and utilities, pay agreements and statements
            write(f"\n{clinic.name:<30}{clinic_url(clinic)}   (staff admin: {clinic_url(clinic, '/admin/')})")
            for role, email in result["logins"].items():
                write(f"  {role:<14}{email}")
        write(f"\nPassword for every demo login: {password}\n")
