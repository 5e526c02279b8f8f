"""Costs for the demo clinics, so the expenses and pay screens show a lived-in year.

Suppliers and categories; rent and utilities as recurring expenses whose last twelve
months are written by the real job (paid, but for the current month's); one-off lab,
material and marketing bills paid over the year, a couple due in the next days and two
overdue; a pay agreement for each practitioner (each pay model once), a few completed
sessions in each of the last three months, their statements approved by the clinic
admin, and this month's as a draft. Run by seed_demo after seed_agenda.

Idempotent: a clinic with expense categories gets no expenses added, one with pay
agreements no pay. Appointments are fixtures written straight to the table (like
tenants.demo_agenda); the rest goes through clinic.actions.costs.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from portal.tenancy import clinic_context

SUPPLIERS = [
    ("Inmobiliaria Centro S.L.", "B28456712", "Marta Ruiz"),
    ("Dentalab Prótesis S.L.", "B86123457", "Luis Prieto"),
    ("Suministros Médicos Iberia S.A.", "A28990011", "Pedidos"),
    ("Eléctrica del Sur", "A95000012", ""),
    ("Aguas Municipales", "P2800000J", ""),
    ("Seguros Previsión Médica", "A08123456", "Agente: Rosa Gil"),
    ("Agencia Sonríe Marketing", "B12345678", "Pablo Vera"),
]
CATEGORIES = ["Alquiler", "Laboratorio", "Material", "Suministros", "Seguros", "Marketing", "Formación"]
# (category, supplier, description, amount in EUR; scaled for other currencies, frequency, due day)
RECURRING = [
    ("Alquiler", "Inmobiliaria Centro S.L.", "Alquiler del local", Decimal("1450"), "monthly", 5),
    ("Suministros", "Eléctrica del Sur", "Electricidad", Decimal("185.40"), "monthly", 20),
    ("Suministros", "Aguas Municipales", "Agua", Decimal("96.30"), "quarterly", 15),
    ("Seguros", "Seguros Previsión Médica", "Seguro de responsabilidad civil", Decimal("890"), "yearly", 10),
]
# (category, supplier, description, amount, day of the month) once a month, paid.
MONTHLY_BILLS = [
    ("Laboratorio", "Dentalab Prótesis S.L.", "Trabajos de laboratorio", Decimal("640")),
    ("Material", "Suministros Médicos Iberia S.A.", "Pedido de material", Decimal("312.75")),
]
# Pay: (model, fixed amount in EUR, percentage) for the practitioners in order.
AGREEMENTS = [("percentage", Decimal("0"), Decimal("40")), ("fixed", Decimal("2100"), Decimal("0")), ("both", Decimal("1200"), Decimal("15"))]
SCALE = {"EUR": Decimal("1"), "MXN": Decimal("20")}


def seed_costs(clinic) -> int:
    """Seed the clinic's costs; returns how many expenses were written (0 when already seeded)."""
    with clinic_context(clinic):
        from django.contrib.auth import get_user_model

        from clinic.roles import Role

        admin = get_user_model().objects.filter(groups__name=Role.CLINIC_ADMIN.value, is_active=True).order_by("pk").first()
        scale = SCALE.get(clinic.currency, Decimal("1"))
        written = _expenses(admin, scale)
        _pay(admin, scale)
        return written


def _expenses(admin, scale) -> int:
    from clinic.actions.costs import GenerateRecurringExpense, MarkExpensePaid
    from clinic.models import Expense, ExpenseCategory, RecurringExpense, Supplier
    from clinic.models.costs import add_months, clinic_today

    if ExpenseCategory.objects.exists():
        return 0
    today = clinic_today()
    suppliers = {name: Supplier.objects.get_or_create(name=name, defaults={"tax_id": tax_id, "contact": contact})[0]
                 for name, tax_id, contact in SUPPLIERS}
    categories = {name: ExpenseCategory.objects.create(name=name) for name in CATEGORIES}
    year_ago = add_months(today.replace(day=1), -11)
    for category, supplier, description, amount, frequency, due_day in RECURRING:
        recurring = RecurringExpense.objects.create(category=categories[category], supplier=suppliers[supplier], description=description,
                                                    amount=(amount * scale).quantize(Decimal("0.01")), frequency=frequency, starts_on=year_ago,
                                                    due_day=due_day, created_by=admin)
        GenerateRecurringExpense(recurring, today=today).execute()  # the job catching up a year
    month = year_ago
    while month <= today:
        for category, supplier, description, amount in MONTHLY_BILLS:
            due = month.replace(day=25)
            Expense.objects.create(category=categories[category], supplier=suppliers[supplier], description=f"{description} {month:%m/%Y}",
                                   amount=(amount * scale).quantize(Decimal("0.01")), due_date=due, recorded_by=admin)
        month = add_months(month, 1)
    Expense.objects.create(category=categories["Marketing"], supplier=suppliers["Agencia Sonríe Marketing"], description="Campaña de invierno",
                           amount=(Decimal("450") * scale), due_date=today - timedelta(days=9), recorded_by=admin)
    Expense.objects.create(category=categories["Formación"], description="Curso de actualización en implantes", amount=(Decimal("380") * scale),
                           due_date=today - timedelta(days=3), recorded_by=admin)
    Expense.objects.create(category=categories["Material"], supplier=suppliers["Suministros Médicos Iberia S.A."], description="Guantes y mascarillas",
                           amount=(Decimal("128.60") * scale), due_date=today + timedelta(days=4), recorded_by=admin)
    # Everything due up to a fortnight ago was paid on time (a few days early); the rest stays due or overdue.
    for expense in Expense.objects.filter(due_date__lte=today - timedelta(days=14), paid_date__isnull=True):
        MarkExpensePaid(expense, paid_date=min(expense.due_date - timedelta(days=2), today), actor=admin).execute()
    return Expense.objects.count()


def _pay(admin, scale) -> None:
    from django.db import IntegrityError, transaction

    from clinic.actions.costs import ApprovePayStatement, GeneratePayStatements, SavePayAgreement
    from clinic.models import Appointment, Patient, PayAgreement, Practitioner
    from clinic.models.costs import add_months, clinic_today
    from portal.tenancy import clinic_zone

    if PayAgreement.objects.exists():
        return
    practitioners = list(Practitioner.objects.filter(active=True).order_by("sort_order", "pk"))
    patients = list(Patient.objects.order_by("pk")[:6])
    if not practitioners or not patients:
        return
    this_month = clinic_today().replace(day=1)
    first = add_months(this_month, -3)
    for n, practitioner in enumerate(practitioners):
        model, fixed, percentage = AGREEMENTS[n % len(AGREEMENTS)]
        SavePayAgreement(PayAgreement(practitioner=practitioner, model=model, fixed_amount=fixed * scale, percentage=percentage,
                                      effective_from=first), actor=admin).execute()
        service = practitioner.services.filter(active=True).order_by("-price").first()
        if service is None:
            continue
        # Sessions of the last three months (this month's come from the demo agenda), in the mornings at 08:00.
        for m in range(3):
            month = add_months(first, m)
            for k, day in enumerate((3, 9, 14, 21)):
                start = datetime.combine(month.replace(day=day), time(8, 0), clinic_zone())
                if start.date() > clinic_today() - timedelta(days=15):
                    continue
                booked = Appointment(patient=patients[(k + n) % len(patients)], practitioner=practitioner, service=service, start=start,
                                     end=start + timedelta(minutes=service.duration_minutes), price=service.price,
                                     status=Appointment.Status.COMPLETED, completed_at=start + timedelta(minutes=service.duration_minutes))
                try:
                    with transaction.atomic():
                        booked.save()
                except IntegrityError:  # that time was taken already
                    continue
    for m in range(3):
        month = add_months(first, m)
        for statement in GeneratePayStatements(month=month, actor=admin).execute():
            ApprovePayStatement(statement, actor=admin).execute()
    GeneratePayStatements(month=this_month, actor=admin).execute()
