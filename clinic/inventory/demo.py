"""Inventory for the demo clinics, so every inventory screen shows something real.

A dental clinic gets dental supplies, a medical one medical supplies (``Clinic.practice_type``),
with categories, suppliers, a bill of materials for several services and a year of history:
a delivery each month and the week's use in the surgery, written straight to the tables
(fixtures: a year cannot be lived through the actions, which stamp the present), with
every movement's ``stock_after`` and each lot's quantity worked out as the actions would,
earliest expiry first. Some supplies end under their minimum; one lot expires within
sixty days and one has expired. Then the demo's completed visits consume their bills
through the real ConsumeForAppointment. Idempotent: a clinic with any stock movement gets
no second history (bills and consumptions are idempotent themselves).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from portal.tenancy import clinic_context, clinic_zone

D = Decimal

# name, category, unit, cost price, minimum, received a month, used a week, tracks lots, location
DENTAL = [
    ("Articaína 4% con epinefrina (carpule)", "Anestesia", "cartridge", "0.45", "50", "150", "35", True, "Gabinete 1, cajón 2"),
    ("Anestesia tópica benzocaína 20%", "Anestesia", "unit", "8.90", "2", "1", "0.25", True, "Gabinete 1, cajón 2"),
    ("Guantes de nitrilo talla M (caja 100)", "Protección e higiene", "box", "6.90", "15", "9", "2", False, "Almacén, estante 1"),
    ("Mascarillas quirúrgicas (caja 50)", "Protección e higiene", "box", "4.50", "5", "6", "1.25", False, "Almacén, estante 1"),
    ("Composite A2 (jeringa 4 g)", "Material de obturación", "syringe", "18.50", "6", "10", "2", False, "Gabinete 1, cajón 3"),
    ("Ácido grabador 37%", "Material de obturación", "syringe", "3.20", "5", "4", "1", False, "Gabinete 1, cajón 3"),
    ("Adhesivo universal (frasco 5 ml)", "Material de obturación", "vial", "42.00", "2", "2", "0.5", False, "Gabinete 1, cajón 3"),
    ("Limas K 25 mm (blíster 6)", "Endodoncia", "pack", "7.80", "4", "6", "1", False, "Gabinete 2, cajón 1"),
    ("Hipoclorito de sodio 5,25%", "Endodoncia", "ml", "0.01", "500", "2000", "450", False, "Almacén, estante 3"),
    ("Baberos desechables", "Desechables", "unit", "0.05", "200", "500", "110", False, "Almacén, estante 2"),
    ("Eyectores de saliva", "Desechables", "unit", "0.04", "200", "400", "90", False, "Almacén, estante 2"),
    ("Gel blanqueador peróxido de carbamida 16%", "Blanqueamiento", "syringe", "9.50", "6", "8", "1.5", True, "Gabinete 2, nevera"),
]
DENTAL_SUPPLIERS = ["Henry Schein España", "Dental Depot Madrid"]
# service name contains → [(supply name starts with, quantity per visit)]
DENTAL_BILLS = {
    "revisión y limpieza": [("Guantes", "0.02"), ("Mascarillas", "0.02"), ("Baberos", "1"), ("Eyectores", "1")],
    "empaste": [("Articaína", "1"), ("Composite", "0.25"), ("Ácido", "0.1"), ("Adhesivo", "0.05"), ("Guantes", "0.02"), ("Baberos", "1"), ("Eyectores", "1")],
    "endodoncia": [("Articaína", "2"), ("Limas", "1"), ("Hipoclorito", "20"), ("Guantes", "0.04"), ("Baberos", "1")],
    "blanqueamiento": [("Gel blanqueador", "4"), ("Guantes", "0.02"), ("Baberos", "1")],
}

MEDICAL = [
    ("Guantes de látex talla M (caja 100)", "Protección", "box", "120.00", "4", "8", "1.75", False, "Almacén, estante 1"),
    ("Gasas estériles 10 × 10 (sobre)", "Curación", "pack", "3.50", "100", "240", "55", False, "Consultorio 1, vitrina"),
    ("Jeringas de 5 ml", "Desechables", "unit", "2.80", "100", "200", "45", False, "Almacén, estante 2"),
    ("Agujas 21G", "Desechables", "unit", "1.20", "100", "200", "52", False, "Almacén, estante 2"),
    ("Torundas de algodón (bolsa)", "Curación", "pack", "25.00", "3", "4", "1", False, "Consultorio 1, vitrina"),
    ("Espéculo vaginal desechable", "Diagnóstico", "unit", "14.00", "20", "30", "6", False, "Consultorio 3, cajón 1"),
    ("Cepillo citológico", "Diagnóstico", "unit", "9.00", "20", "30", "6", False, "Consultorio 3, cajón 1"),
    ("Abatelenguas de madera", "Desechables", "unit", "0.60", "100", "200", "40", False, "Consultorio 1, cajón 2"),
    ("Alcohol etílico 70%", "Curación", "ml", "0.08", "1000", "4000", "900", False, "Almacén, estante 3"),
    ("Vacuna contra la influenza (dosis)", "Inyectables y medicamentos", "vial", "280.00", "10", "20", "4", True, "Consultorio 2, refrigerador"),
    ("Paracetamol 500 mg (caja 10)", "Inyectables y medicamentos", "box", "35.00", "5", "6", "1.5", True, "Consultorio 2, botiquín"),
    ("Tiras reactivas de glucosa (bote 50)", "Diagnóstico", "pack", "320.00", "2", "2", "0.4", False, "Consultorio 1, cajón 1"),
]
MEDICAL_SUPPLIERS = ["Distribuidora Médica del Valle", "Farmacéutica Los Álamos"]
MEDICAL_BILLS = {
    "medicina general": [("Guantes", "0.02"), ("Abatelenguas", "1"), ("Torundas", "0.05")],
    "certificado": [("Abatelenguas", "1")],
    "pediátrica": [("Guantes", "0.02"), ("Abatelenguas", "1")],
    "papanicolaou": [("Espéculo", "1"), ("Cepillo", "1"), ("Guantes", "0.02"), ("Gasas", "1")],
    "ginecológica": [("Espéculo", "1"), ("Guantes", "0.02")],
}


def seed_inventory(clinic) -> int:
    """The clinic's demo inventory; returns the number of movements written (0 when it had one)."""
    with clinic_context(clinic):
        from django.contrib.auth import get_user_model
        from django.db import transaction
        from django.utils import timezone

        from clinic.models import Appointment, Practitioner, Service, Supplier
        from tenants.models import Clinic

        from .actions import ConsumeForAppointment
        from .models import ServiceSupply, StockMovement, Supply, SupplyCategory

        dental = Clinic.objects.filter(pk=clinic.pk, practice_type="dental").exists()
        catalogue, supplier_names, bills = (DENTAL, DENTAL_SUPPLIERS, DENTAL_BILLS) if dental else (MEDICAL, MEDICAL_SUPPLIERS, MEDICAL_BILLS)
        User = get_user_model()
        receiver = User.objects.filter(email=f"recepcion@{clinic.slug}.example").first()
        counter = User.objects.filter(email=f"admin@{clinic.slug}.example").first()
        practitioner = Practitioner.objects.filter(active=True).select_related("user").order_by("sort_order").first()
        user = practitioner.user if practitioner else counter
        if receiver is None or counter is None:
            return 0
        zone = clinic_zone()
        today = timezone.localdate(timezone=zone)
        written = 0
        with transaction.atomic():
            suppliers = [Supplier.objects.get_or_create(name=name)[0] for name in supplier_names]
            supplies = {}
            for n, (name, category, unit, cost, minimum, *_rest, tracks, location) in enumerate(catalogue):
                supplies[name] = Supply.objects.get_or_create(name=name, defaults={
                    "category": SupplyCategory.objects.get_or_create(name=category)[0], "unit": unit, "cost_price": D(cost), "minimum": D(minimum),
                    "supplier": suppliers[n % len(suppliers)], "location": location, "tracks_lots": tracks})[0]
            if not StockMovement.objects.exists():
                for spec in catalogue:
                    written += _history(supplies[spec[0]], spec, today, zone, receiver, user, counter)
            for word, lines in bills.items():
                service = Service.objects.filter(name__icontains=word).order_by("pk").first()
                if service is None:
                    continue
                for prefix, quantity in lines:
                    supply = next(s for name, s in supplies.items() if name.startswith(prefix))
                    ServiceSupply.objects.get_or_create(service=service, supply=supply, defaults={"quantity": D(quantity)})
        # Only the last week's visits: the year of history above already stands for the earlier
        # ones (the reports' year of activity would otherwise empty every shelf).
        completed = (Appointment.objects.filter(status=Appointment.Status.COMPLETED, start__gte=timezone.now() - timedelta(days=7))
                     .select_related("practitioner__user").order_by("completed_at", "pk"))
        for appointment in completed:
            action = ConsumeForAppointment(appointment, actor=appointment.practitioner.user if appointment.practitioner_id else None)
            action.execute()
            written += len(action.movements)
        return written


def _history(supply, spec, today, zone, receiver, user, counter) -> int:
    """A year of monthly deliveries and weekly use of one supply, then its stock and lots set
    to where that history leaves them."""
    from .models import Lot, StockMovement

    name, _category, _unit, _cost, _minimum, monthly, weekly, tracks, _location = spec
    monthly, weekly = D(monthly), D(weekly)
    at = lambda day: datetime.combine(day, time(10, 30), zone)  # noqa: E731
    stock, lots, rows = D(0), [], []
    Kind = StockMovement.Kind

    def receive(day, quantity, expiry, code, reason):
        nonlocal stock
        lot = Lot.objects.create(supply=supply, code=code, expiry=expiry) if tracks else None
        if lot:
            lots.append([lot, quantity])
        stock += quantity
        rows.append(StockMovement(supply=supply, lot=lot, kind=Kind.IN, quantity=quantity, stock_after=stock, unit_cost=supply.cost_price,
                                  reason=reason, author=receiver, created_at=at(day)))

    def use(day, quantity, kind=Kind.OUT, reason="Uso semanal en consulta", author=None):
        nonlocal stock
        quantity = min(quantity, stock)
        if not quantity:
            return
        parts = []
        if tracks:
            left = quantity
            for entry in sorted((e for e in lots if e[1] > 0), key=lambda e: (e[0].expiry, e[0].pk)):
                part = min(left, entry[1])
                entry[1] -= part
                parts.append((entry[0], part))
                left -= part
                if not left:
                    break
        else:
            parts = [(None, quantity)]
        for lot, part in parts:
            stock -= part
            rows.append(StockMovement(supply=supply, lot=lot, kind=kind, quantity=-part, stock_after=stock, unit_cost=supply.cost_price,
                                      reason=reason, author=author or user, created_at=at(day)))

    for month in range(12, 0, -1):
        day = today - timedelta(days=30 * month)
        receive(day, monthly, day + timedelta(days=540), f"L{day:%y%m%d}", f"Albarán {day:%Y%m}-{supply.pk:03d}")
        for week in range(4):
            use(day + timedelta(days=1 + 7 * week), weekly)
        if month == 4:
            use(day + timedelta(days=25), weekly / 2, kind=Kind.ADJUSTMENT, reason="Recuento trimestral: faltaban", author=counter)
    if tracks and name.startswith(("Articaína", "Vacuna")):
        # A short-dated lot bought at a good price: it expires within the next sixty days.
        receive(today - timedelta(days=5), monthly / 2, today + timedelta(days=40), f"CORTA{today:%y%m}", "Oferta de corta caducidad")
    if tracks and name.startswith(("Anestesia tópica", "Paracetamol")):
        # Received shortly before it expired and never used: now expired, still on the shelf.
        receive(today - timedelta(days=20), D(1), today - timedelta(days=3), f"CAD{today:%y%m}", "Muestra del proveedor")
    StockMovement.objects.bulk_create(rows)
    type(supply).objects.filter(pk=supply.pk).update(stock=stock)
    for lot, quantity in lots:
        Lot.objects.filter(pk=lot.pk).update(quantity=quantity)
    return len(rows)
