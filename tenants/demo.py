"""Demo data for ``manage.py seed_demo``: two clinics with realistic Spanish content.

Everything here is idempotent: running it again updates the same rows to the same
values and creates nothing twice.
"""

import secrets
from decimal import Decimal as D
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from portal.tenancy import clinic_context, public_context

DEMO_CLINICS = [
    {
        "slug": "sonrisa",
        "name": "Clínica Dental Sonrisa",
        "time_zone": "Europe/Madrid",
        "practice_type": "dental",
        "currency": "EUR",
        "brand": {
            "tagline": "Odontología familiar en el centro de Madrid",
            "primary_color": "#0f766e",
            "accent_color": "#f59e0b",
            "phone": "+34 910 123 456",
            "whatsapp": "+34 600 123 456",
            "email": "hola@sonrisa.example",
            "address": "Calle de Alcalá 120, 2.º B\n28009 Madrid",
            "instagram_url": "https://www.instagram.com/clinicasonrisa.example",
            "facebook_url": "https://www.facebook.com/clinicasonrisa.example",
        },
        "home": {
            "hero_title": "Tu sonrisa, en las mejores manos",
            "hero_text": "Odontología general, ortodoncia invisible, implantes y estética dental. Reserva tu cita en línea en menos de un minuto.",
            "intro": "<p>Desde 2009 cuidamos la salud bucodental de familias de todo Madrid, con tecnología digital, presupuestos claros y sin esperas.</p>",
            "cta_label": "Reservar cita",
        },
        "about": (
            "Sobre nosotros",
            "Un equipo de odontólogos colegiados con más de quince años de experiencia.",
            [
                ("heading", {"text": "Nuestra forma de trabajar", "level": "h2"}),
                ("paragraph", "<p>Antes de cualquier tratamiento te explicamos las opciones, el plazo y el precio por escrito. Usamos radiología digital de baja dosis y escáner intraoral, sin moldes incómodos.</p>"),
                ("quote", {"text": "Nos trataron con mucha paciencia y me explicaron todo el tratamiento.", "attribution": "Marta, paciente desde 2018"}),
            ],
        ),
        "opening_hours": "Lunes a jueves: 9:00–20:30\nViernes: 9:00–15:00\nSábados: cerrado",
        # (weekdays, from, to): Monday–Thursday with a lunch break, Friday mornings.
        "hours": [((0, 1, 2, 3), "09:00", "14:00"), ((0, 1, 2, 3), "16:00", "20:30"), ((4,), "09:00", "15:00")],
        "map_url": "https://www.openstreetmap.org/search?query=Calle%20de%20Alcal%C3%A1%20120%20Madrid",
        "catalogue": {
            "Odontología general": [
                ("Revisión y limpieza dental", "Exploración completa, higiene profesional y pulido.", 45, 10, D("60"), D("15"), True),
                ("Empaste (obturación)", "Tratamiento de caries con composite del color del diente.", 45, 10, D("70"), D("0"), True),
                ("Endodoncia", "Tratamiento de conductos en una o dos sesiones.", 90, 15, D("220"), D("50"), False),
            ],
            "Ortodoncia": [
                ("Primera visita de ortodoncia", "Estudio con escáner intraoral y plan de tratamiento.", 30, 10, D("0"), D("0"), True),
                ("Revisión de ortodoncia invisible", "Control de alineadores y entrega de la siguiente fase.", 20, 5, D("40"), D("0"), True),
            ],
            "Estética dental": [
                ("Blanqueamiento dental", "Blanqueamiento en clínica con luz LED, una sesión.", 60, 15, D("250"), D("50"), True),
            ],
            "Implantes": [
                ("Consulta de implantología", "Valoración con radiografía panorámica incluida.", 30, 10, D("40"), D("10"), True),
            ],
        },
        "practitioners": [
            ("lucia.fernandez", "Lucía", "Fernández Ruiz", "Dra.", "Odontología general", "28-4512", "Licenciada en Odontología por la Universidad Complutense. Especial dedicación a pacientes infantiles y con miedo al dentista.", ["Revisión y limpieza dental", "Empaste (obturación)", "Endodoncia"]),
            ("javier.morales", "Javier", "Morales Gil", "Dr.", "Ortodoncia", "28-5630", "Máster en Ortodoncia. Certificado en alineadores invisibles.", ["Primera visita de ortodoncia", "Revisión de ortodoncia invisible"]),
            ("carmen.ortega", "Carmen", "Ortega Vidal", "Dra.", "Implantología y estética", "28-6097", "Especialista en implantes y rehabilitación oral.", ["Consulta de implantología", "Blanqueamiento dental", "Revisión y limpieza dental"]),
        ],
    },
    {
        "slug": "alamos",
        "name": "Centro Médico Los Álamos",
        "time_zone": "America/Mexico_City",
        "practice_type": "medical",
        "currency": "MXN",
        "brand": {
            "tagline": "Medicina familiar y especialidades en Coyoacán",
            "primary_color": "#1d4ed8",
            "accent_color": "#db2777",
            "phone": "+52 55 5123 4567",
            "whatsapp": "+52 55 1234 5678",
            "email": "contacto@alamos.example",
            "address": "Av. Miguel Ángel de Quevedo 850\nCoyoacán, 04330 Ciudad de México",
            "facebook_url": "https://www.facebook.com/centromedicolosalamos.example",
        },
        "home": {
            "hero_title": "Atención médica cercana para toda la familia",
            "hero_text": "Medicina general, pediatría, ginecología y nutrición. Agenda tu consulta en línea y paga con tarjeta o en recepción.",
            "intro": "<p>En Los Álamos te atiende siempre el mismo equipo, con tu expediente a la mano y seguimiento después de cada consulta.</p>",
            "cta_label": "Agendar consulta",
        },
        "about": (
            "Quiénes somos",
            "Un centro médico de barrio con especialistas certificados.",
            [
                ("heading", {"text": "Nuestro compromiso", "level": "h2"}),
                ("paragraph", "<p>Consultas puntuales, explicaciones claras y precios publicados. Aceptamos tarjetas y transferencias.</p>"),
            ],
        ),
        "opening_hours": "Lunes a viernes: 8:00–20:00\nSábados: 9:00–14:00",
        "hours": [((0, 1, 2, 3, 4), "08:00", "14:00"), ((0, 1, 2, 3, 4), "15:00", "20:00"), ((5,), "09:00", "14:00")],
        "map_url": "https://www.openstreetmap.org/search?query=Miguel%20%C3%81ngel%20de%20Quevedo%20850",
        "catalogue": {
            "Medicina general": [
                ("Consulta de medicina general", "Valoración, diagnóstico y receta.", 30, 10, D("600"), D("0"), True),
                ("Certificado médico", "Certificado de salud para escuela o trabajo.", 20, 5, D("350"), D("0"), True),
            ],
            "Pediatría": [
                ("Consulta pediátrica", "Control de niño sano o consulta por enfermedad.", 30, 10, D("700"), D("200"), True),
            ],
            "Ginecología": [
                ("Consulta ginecológica", "Revisión, orientación anticonceptiva y seguimiento.", 40, 10, D("900"), D("300"), True),
                ("Papanicolaou", "Toma de citología con resultados en una semana.", 30, 10, D("650"), D("0"), True),
            ],
            "Nutrición": [
                ("Consulta de nutrición", "Evaluación corporal y plan de alimentación personalizado.", 45, 5, D("750"), D("0"), True),
            ],
        },
        "practitioners": [
            ("alejandro.ramirez", "Alejandro", "Ramírez Soto", "Dr.", "Medicina familiar", "Céd. 7845123", "Médico familiar con 12 años de experiencia en atención primaria.", ["Consulta de medicina general", "Certificado médico", "Consulta de nutrición"]),
            ("sofia.hernandez", "Sofía", "Hernández Luna", "Dra.", "Pediatría", "Céd. 9012456", "Pediatra certificada por el Consejo Mexicano de Pediatría.", ["Consulta pediátrica"]),
            ("valeria.castro", "Valeria", "Castro Méndez", "Dra.", "Ginecología y obstetricia", "Céd. 8123790", "Ginecóloga con enfoque en salud preventiva de la mujer.", ["Consulta ginecológica", "Papanicolaou"]),
        ],
    },
]


def _policy(price, deposit):
    from clinic.models import Service

    if deposit:
        return Service.PaymentPolicy.DEPOSIT
    return Service.PaymentPolicy.OPTIONAL if price else Service.PaymentPolicy.AT_CLINIC


def demo_password() -> str:
    """``DEMO_PASSWORD`` or one random password kept in .data/ (never in the repository)."""
    import os

    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    path = Path(settings.BASE_DIR) / ".data" / "demo-password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Demo-{secrets.token_urlsafe(9)}\n")
        path.chmod(0o600)
    return path.read_text().strip()


def seed_operator(password: str) -> str:
    User = get_user_model()
    email = "operador@platform.example"
    with public_context():
        user, _ = User.objects.get_or_create(email=email, defaults={"first_name": "Operador", "last_name": "Plataforma"})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
    return email


def seed_clinic(data: dict, password: str) -> dict:
    """One demo clinic, complete. Returns its logins by role."""
    from allauth.account.models import EmailAddress

    from clinic.models import Patient, Practitioner, Service, ServiceCategory, WorkingHours
    from clinic.roles import Role
    from clinic.staff import add_staff_member
    from tenants.models import Clinic
    from tenants.services import create_clinic
    from theme.defaults import configure_site
    from theme.models import ContactPage, HomePage, StandardPage

    slug = data["slug"]
    domain = f"{slug}.example"
    clinic, _created = create_clinic(
        name=data["name"], slug=slug, admin_email=f"admin@{domain}", time_zone=data["time_zone"], currency=data["currency"],
        admin_first_name="Administración", admin_last_name=data["name"],
        admin_password=password,  # the demo admin signs in with it: no set-password e-mail
    )
    Clinic.objects.filter(pk=clinic.pk).update(practice_type=data["practice_type"])
    logins = {}
    with clinic_context(clinic):
        configure_site(name=clinic.name, host=clinic.primary_host, brand=data["brand"])
        admin, _ = add_staff_member(email=f"admin@{domain}", role=Role.CLINIC_ADMIN, password=password)
        reception, _ = add_staff_member(email=f"recepcion@{domain}", role=Role.RECEPTIONIST, first_name="Ana", last_name="Recepción", password=password)
        logins.update({"Clinic admin": admin.email, "Receptionist": reception.email})

        User = get_user_model()
        patient, _ = User.objects.get_or_create(email=f"paciente@{domain}", defaults={"first_name": "Pablo", "last_name": "Paciente Demo"})
        patient.set_password(password)
        patient.save()
        EmailAddress.objects.update_or_create(user=patient, email=patient.email, defaults={"verified": True, "primary": True})
        Patient.objects.update_or_create(
            user=patient, defaults={"first_name": patient.first_name, "last_name": patient.last_name, "email": patient.email, "phone": "+34 600 111 222"}
        )
        logins["Patient"] = patient.email

        services = {}
        for c_order, (category_name, rows) in enumerate(data["catalogue"].items()):
            category, _ = ServiceCategory.objects.update_or_create(name=category_name, defaults={"sort_order": c_order})
            for s_order, (name, description, duration, buffer, price, deposit, online) in enumerate(rows):
                services[name], _ = Service.objects.update_or_create(
                    name=name,
                    defaults=dict(category=category, description=description, duration_minutes=duration, buffer_minutes=buffer,
                                  price=price, deposit=deposit, online_bookable=online, active=True, sort_order=s_order,
                                  payment_policy=_policy(price, deposit)),
                )
        # The template's starter catalogue makes way for the demo's.
        Service.objects.exclude(pk__in=[s.pk for s in services.values()]).update(active=False)

        for order, (local, first, last, title, specialty, licence, bio, offered) in enumerate(data["practitioners"]):
            user, _ = add_staff_member(email=f"{local}@{domain}", role=Role.PRACTITIONER, first_name=first, last_name=last, password=password)
            practitioner, _ = Practitioner.objects.update_or_create(
                user=user, defaults=dict(title=title, specialty=specialty, licence_number=licence, bio=bio, active=True, sort_order=order)
            )
            practitioner.services.set([services[name] for name in offered])
            if not practitioner.working_hours.exists():
                WorkingHours.objects.bulk_create(
                    WorkingHours(practitioner=practitioner, weekday=day, start=opens, end=closes)
                    for days, opens, closes in data["hours"] for day in days
                )
        logins["Practitioner"] = f"{data['practitioners'][0][0]}@{domain}"

        home = HomePage.objects.get()
        for field, value in data["home"].items():
            setattr(home, field, value)
        home.save_revision().publish()
        contact = ContactPage.objects.child_of(home).get()
        contact.opening_hours, contact.map_url = data["opening_hours"], data["map_url"]
        contact.save_revision().publish()
        title, intro, body = data["about"]
        about = StandardPage.objects.child_of(home).first()
        if about is None:
            about = StandardPage(title=title, slug="sobre-nosotros", show_in_menus=True)
            home.add_child(instance=about)
        about.title, about.intro, about.body, about.show_in_menus = title, intro, body, True
        about.save_revision().publish()
    return {"clinic": clinic, "logins": logins}
