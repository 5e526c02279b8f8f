"""Check the invoice chains: every clinic's (or one clinic's) and the platform's own
invoices to clinics. Each record's fingerprint must match its fields and link to the
record issued before it. Exits 1 on a break.

    manage.py verify_invoice_chain [--clinic <slug> | --platform]
"""

from django.core.management.base import BaseCommand, CommandError

from billing.models import PlatformInvoice
from clinic.actions.invoices import verify_chain
from portal.tenancy import clinic_context, public_context
from tenants.models import Clinic


class Command(BaseCommand):
    help = "Check the invoice record chain of every clinic and of the platform (or --clinic SLUG, or --platform) and show where one is broken."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--clinic", help="Only this clinic (its address, e.g. sonrisa).")
        which.add_argument("--platform", action="store_true", help="Only the platform's invoices to clinics.")

    def handle(self, *args, clinic=None, platform=False, **options):
        clinics = Clinic.objects.none() if platform else Clinic.objects.clinics().order_by("slug")
        if clinic:
            clinics = clinics.filter(slug=clinic)
            if not clinics.exists():
                raise CommandError(f"No clinic with the address {clinic!r}.")
        broken = 0
        for each in clinics:
            with clinic_context(each):
                from clinic.models import Invoice

                broken += self.report(each.slug, Invoice.objects.count(), verify_chain())
        if not clinic:
            with public_context():
                broken += self.report("platform", PlatformInvoice.objects.count(), PlatformInvoice.verify_chain())
        if broken:
            raise CommandError(f"{broken} chain(s) broken.")

    def report(self, name, count, breaks) -> int:
        """Print one chain's result; 1 when it is broken."""
        for item in breaks:
            what = "its fingerprint does not match its data" if item.reason == "fingerprint" else "it does not link to the record before it"
            self.stdout.write(self.style.ERROR(f"{name}: chain broken at {item.number}: {what}"))
        if not breaks:
            self.stdout.write(f"{name}: {count} records, chain intact")
        return int(bool(breaks))
