from django.core.management.base import BaseCommand

from tenants.services import ensure_platform


class Command(BaseCommand):
    help = "Create or complete the platform row, its domain, the default plans and the clinic clone template (idempotent)."

    def handle(self, *args, **options):
        platform = ensure_platform()
        self.stdout.write(self.style.SUCCESS(f"Platform ready at {platform.get_primary_domain()}; clone template current."))
