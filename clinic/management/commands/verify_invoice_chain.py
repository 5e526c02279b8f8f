"""Check every clinic's invoice chain (or one clinic's): each record's fingerprint must
match its fields and link to the record issued before it. Exits 1 on a break.

    manage.py verify_invoice_chain [--clinic <slug>]
"""

from django.core.management.base import BaseCommand, CommandError

from clinic.actions.invoices import verify_chain
from portal.tenancy import clinic_context
from tenants.models import Clinic


class Command(BaseCommand):
    help = "Check the invoice record chain of every clinic (or --clinic SLUG) and show where it is broken."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", help="Only this clinic (its address, e.g. sonrisa).")

    def handle(self, *args, clinic=None, **options):
        clinics = Clinic.objects.clinics().order_by("slug")
        if clinic:
            clinics = clinics.filter(slug=clinic)
            if not clinics.exists():
                raise CommandError(f"No clinic with the address {clinic!r}.")
        broken = 0
        for each in clinics:
            with clinic_context(each):
                from clinic.models import Invoice

                count = Invoice.objects.count()
                breaks = verify_chain()
            if breaks:
                broken += 1
                for item in breaks:
                    what = "its fingerprint does not match its data" if item.reason == "fingerprint" else "it does not link to the record before it"
                    self.stdout.write(self.style.ERROR(f"{each.slug}: chain broken at {item.number}: {what}"))
            else:
                self.stdout.write(f"{each.slug}: {count} records, chain intact")
        if broken:
            raise CommandError(f"{broken} clinic chain(s) broken.")
