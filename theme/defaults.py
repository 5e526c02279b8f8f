"""The website every clinic starts with, and the per-clinic touches after cloning.

``build_default_site`` runs once in the clone template (it is idempotent), so a new
clinic's pages arrive with the schema clone; ``configure_site`` then names the site
after the clinic and points it at the clinic's host.
"""

from django.conf import settings
from django.db import transaction
from wagtail.models import Page, Site

from .models import BrandSettings, ContactPage, HomePage, ServiceIndexPage, TeamPage


def _add_child(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


@transaction.atomic
def build_default_site() -> HomePage:
    """Home, services, team and contact pages under the root, and the Site pointing at home."""
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        # Wagtail's own migration made a "Welcome" page with slug "home"; ours replaces it.
        for page in root.get_children().exclude(content_type__model="homepage"):
            page.delete()
        root.refresh_from_db()
        home = HomePage(
            title="Inicio",
            slug="home",
            hero_title="Cuidamos de tu salud y de tu sonrisa",
            hero_text="Reserva tu cita en línea en menos de un minuto.",
            intro="<p>Somos un equipo de profesionales comprometidos con una atención cercana y de calidad.</p>",
        )
        _add_child(root, home)
    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
    site.root_page = home
    site.hostname = site.hostname or "localhost"
    site.port = site.port or 80
    site.site_name = site.site_name or "Clínica"
    site.save()

    children = {type(p.specific) for p in home.get_children()}
    if ServiceIndexPage not in children:
        _add_child(home, ServiceIndexPage(title="Servicios", slug="servicios", show_in_menus=True, intro="<p>Consulta nuestros tratamientos, su duración y su precio.</p>"))
    if TeamPage not in children:
        _add_child(home, TeamPage(title="Equipo", slug="equipo", show_in_menus=True, intro="<p>Conoce a los profesionales que te atenderán.</p>"))
    if ContactPage not in children:
        _add_child(
            home,
            ContactPage(
                title="Contacto",
                slug="contacto",
                show_in_menus=True,
                intro="<p>Escríbenos y te responderemos lo antes posible.</p>",
                opening_hours="Lunes a viernes: 9:00–20:00\nSábados: 10:00–14:00",
            ),
        )
    if home.cta_page_id is None:
        home.cta_page = ServiceIndexPage.objects.first()
        home.save_revision().publish()
    BrandSettings.for_site(site)  # creates the row with the default colours
    return home


@transaction.atomic
def configure_site(*, name: str, host: str, brand: dict | None = None) -> Site:
    """Point the clinic's Site at its primary host and name the brand after the clinic.

    Brand values already set by the clinic are kept unless ``brand`` names them.
    """
    site = Site.objects.get(is_default_site=True)
    site.hostname = host
    site.port = settings.PLATFORM_PORT or (443 if settings.PLATFORM_SCHEME == "https" else 80)
    site.site_name = name
    site.save()
    settings_row = BrandSettings.for_site(site)
    if not settings_row.display_name:
        settings_row.display_name = name
    for field, value in (brand or {}).items():
        setattr(settings_row, field, value)
    settings_row.full_clean(exclude=["site"])
    settings_row.save()
    return site
