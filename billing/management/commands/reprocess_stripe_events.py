from django.core.management.base import BaseCommand

from billing.models import StripeEvent
from billing.services import reprocess_by_operator


class Command(BaseCommand):
    help = "Process again every stored Stripe event that has not been processed (failed, retrying or never run), whatever its attempts."

    def handle(self, *args, **options):
        count = reprocess_by_operator(event_ids=StripeEvent.objects.filter(processed_at__isnull=True).values_list("pk", flat=True))
        self.stdout.write(self.style.SUCCESS(f"{count} event(s) processed again."))
