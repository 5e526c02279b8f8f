from django.core.management.base import BaseCommand

from billing.services import reprocess_failed


class Command(BaseCommand):
    help = "Process again every stored Stripe event that has not been processed (failed or never run)."

    def handle(self, *args, **options):
        count = reprocess_failed()
        self.stdout.write(self.style.SUCCESS(f"{count} event(s) processed again."))
