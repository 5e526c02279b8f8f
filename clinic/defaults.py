"""What a new clinic's catalogue and roles start with (seeded once into the clone template)."""

from decimal import Decimal

from django.db import transaction

from .models import Service, ServiceCategory
from .roles import ensure_default_groups

DEFAULT_CATALOGUE = {
    "Consultas": [
        dict(name="Primera visita", description="Valoración inicial, historia clínica y plan de tratamiento.", duration_minutes=30, buffer_minutes=10, price=Decimal("40.00"), deposit=Decimal("10.00"),
             payment_policy=Service.PaymentPolicy.DEPOSIT),
        dict(name="Revisión", description="Seguimiento de un tratamiento en curso.", duration_minutes=20, buffer_minutes=5, price=Decimal("30.00"), deposit=Decimal("0"),
             payment_policy=Service.PaymentPolicy.OPTIONAL),
    ],
}


@transaction.atomic
def seed_clinic_defaults() -> None:
    """Default staff groups and a starter catalogue. Idempotent: existing rows are left as they are."""
    ensure_default_groups()
    if Service.objects.exists():
        return
    for order, (category_name, services) in enumerate(DEFAULT_CATALOGUE.items()):
        category, _ = ServiceCategory.objects.get_or_create(name=category_name, defaults={"sort_order": order})
        for position, data in enumerate(services):
            Service.objects.create(category=category, sort_order=position, **data)
