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


D = Decimal
DEPOSIT, OPTIONAL, AT_CLINIC = Service.PaymentPolicy.DEPOSIT, Service.PaymentPolicy.OPTIONAL, Service.PaymentPolicy.AT_CLINIC

# (category, [(name, description, minutes, buffer, price, deposit, policy)]) per kind of practice
# (tenants.models.PracticeType). Content, so in Spanish: the clinic edits it afterwards.
CATALOGUES = {
    "dental": {
        "Odontología general": [
            ("Primera visita", "Exploración, radiografía si hace falta y plan de tratamiento.", 30, 10, D("40"), D("10"), DEPOSIT),
            ("Limpieza dental", "Higiene profesional y pulido.", 45, 10, D("60"), D("0"), OPTIONAL),
            ("Empaste", "Tratamiento de una caries con composite.", 45, 10, D("70"), D("0"), AT_CLINIC),
        ],
    },
    "medical": {
        "Consultas": [
            ("Consulta de medicina general", "Valoración, diagnóstico y tratamiento.", 20, 5, D("50"), D("0"), OPTIONAL),
            ("Revisión", "Seguimiento de un tratamiento en curso.", 15, 5, D("35"), D("0"), OPTIONAL),
            ("Certificado médico", "Reconocimiento y certificado.", 20, 5, D("40"), D("0"), AT_CLINIC),
        ],
    },
    "physiotherapy": {
        "Fisioterapia": [
            ("Primera valoración de fisioterapia", "Historia, exploración y plan de tratamiento.", 45, 15, D("50"), D("10"), DEPOSIT),
            ("Sesión de fisioterapia", "Terapia manual y ejercicio terapéutico.", 45, 15, D("40"), D("0"), OPTIONAL),
            ("Punción seca", "Tratamiento de puntos gatillo miofasciales.", 30, 10, D("45"), D("0"), OPTIONAL),
        ],
    },
    "psychology": {
        "Psicología": [
            ("Primera consulta de psicología", "Entrevista inicial y propuesta de trabajo.", 60, 10, D("60"), D("15"), DEPOSIT),
            ("Sesión de terapia individual", "Sesión de seguimiento.", 50, 10, D("55"), D("0"), OPTIONAL),
            ("Terapia de pareja", "Sesión con ambos miembros de la pareja.", 75, 15, D("80"), D("0"), OPTIONAL),
        ],
    },
}
HERO = {
    "dental": ("Cuidamos de tu sonrisa", "Odontología cercana y de calidad. Reserva tu cita en línea en menos de un minuto."),
    "medical": ("Cuidamos de tu salud", "Medicina cercana y sin esperas. Reserva tu cita en línea en menos de un minuto."),
    "physiotherapy": ("Vuelve a moverte sin dolor", "Fisioterapia personalizada. Reserva tu sesión en línea en menos de un minuto."),
    "psychology": ("Un espacio para cuidarte", "Psicología con cercanía y confidencialidad. Reserva tu primera consulta en línea."),
    "other": ("Cuidamos de ti", "Reserva tu cita en línea en menos de un minuto."),
}
STARTER_HERO = "Cuidamos de tu salud y de tu sonrisa"  # theme.defaults' neutral-then-dental text


@transaction.atomic
def fit_to_practice(practice_type: str) -> bool:
    """A new clinic's starter catalogue and home page made to fit what it does.

    Only while untouched: the catalogue is still exactly the template's starter (no
    service edited by anyone) and the home page still has the starter headline.
    Idempotent; returns whether anything changed."""
    from wagtail.models import ModelLogEntry

    from theme.models import HomePage

    changed = False
    starter = {row["name"] for rows in DEFAULT_CATALOGUE.values() for row in rows}
    untouched = set(Service.objects.values_list("name", flat=True)) == starter and not ModelLogEntry.objects.filter(
        content_type__app_label="clinic", content_type__model="service").exists()
    catalogue = CATALOGUES.get(practice_type)
    if untouched and catalogue:
        Service.objects.all().delete()
        ServiceCategory.objects.filter(services__isnull=True).delete()
        for order, (category_name, rows) in enumerate(catalogue.items()):
            category, _ = ServiceCategory.objects.get_or_create(name=category_name, defaults={"sort_order": order})
            for position, (name, description, minutes, buffer, price, deposit, policy) in enumerate(rows):
                Service.objects.create(category=category, sort_order=position, name=name, description=description, duration_minutes=minutes,
                                       buffer_minutes=buffer, price=price, deposit=deposit, payment_policy=policy)
        changed = True
    home = HomePage.objects.first()
    title, text = HERO.get(practice_type, HERO["other"])
    if home is not None and home.hero_title == STARTER_HERO:
        home.hero_title, home.hero_text = title, text
        home.save_revision().publish()
        changed = True
    return changed


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
