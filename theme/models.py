"""Each clinic's website: page types and brand settings (tenant schema)."""

from django import forms
from django.core.validators import RegexValidator
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Site
from wagtail.search import index

from . import colors
from .blocks import BaseStreamBlock

hex_color = RegexValidator(colors.HEX_RE, _("Use a colour like #0f766e."))


@register_setting(icon="pick")
class BrandSettings(BaseSiteSetting):
    """How the clinic looks and how patients reach it: used by every page and e-mail."""

    display_name = models.CharField(_("clinic name"), max_length=120, blank=True, help_text=_("As shown to patients."))
    tagline = models.CharField(_("tagline"), max_length=160, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("logo"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    primary_color = models.CharField(_("primary colour"), max_length=7, default="#0f766e", validators=[hex_color])
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#f59e0b", validators=[hex_color])
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    whatsapp = models.CharField(_("WhatsApp"), max_length=32, blank=True, help_text=_("Number with country code, e.g. +34600111222."))
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Contact-form messages are sent here."))
    address = models.TextField(_("address"), blank=True)
    facebook_url = models.URLField(_("Facebook"), blank=True)
    instagram_url = models.URLField(_("Instagram"), blank=True)
    x_url = models.URLField(_("X (Twitter)"), blank=True)
    linkedin_url = models.URLField(_("LinkedIn"), blank=True)
    youtube_url = models.URLField(_("YouTube"), blank=True)

    panels = [
        MultiFieldPanel([FieldPanel("display_name"), FieldPanel("tagline"), FieldPanel("logo")], heading=_("Identity")),
        MultiFieldPanel(
            [
                HelpPanel(_("Text and link colours are adjusted automatically so they stay readable.")),
                FieldPanel("primary_color", widget=forms.TextInput(attrs={"type": "color"})),
                FieldPanel("accent_color", widget=forms.TextInput(attrs={"type": "color"})),
            ],
            heading=_("Colours"),
        ),
        MultiFieldPanel([FieldPanel("phone"), FieldPanel("whatsapp"), FieldPanel("email"), FieldPanel("address")], heading=_("Contact")),
        MultiFieldPanel(
            [FieldPanel("facebook_url"), FieldPanel("instagram_url"), FieldPanel("x_url"), FieldPanel("linkedin_url"), FieldPanel("youtube_url")],
            heading=_("Social networks"),
        ),
    ]

    class Meta:
        verbose_name = _("brand")

    @classmethod
    def for_default_site(cls):
        """For jobs and e-mails, which have no request: the clinic's one site."""
        return cls.for_site(Site.objects.get(is_default_site=True))

    def name_for(self, request=None) -> str:
        if self.display_name:
            return self.display_name
        tenant = getattr(request, "tenant", None)
        return tenant.name if tenant else ""

    @cached_property
    def css_variables(self) -> dict[str, str]:
        primary, accent = self.primary_color, self.accent_color
        return {
            "--brand-primary": primary,
            "--brand-on-primary": colors.text_on(primary),
            "--brand-primary-ink": colors.readable_on_white(primary),
            "--brand-primary-soft": colors.mix_with_white(primary, 0.1),
            "--brand-accent": accent,
            "--brand-on-accent": colors.text_on(accent),
            "--brand-accent-ink": colors.readable_on_white(accent),
        }

    @property
    def social_links(self) -> list[tuple[str, str]]:
        links = [("Facebook", self.facebook_url), ("Instagram", self.instagram_url), ("X", self.x_url), ("LinkedIn", self.linkedin_url), ("YouTube", self.youtube_url)]
        return [(label, url) for label, url in links if url]

    @property
    def whatsapp_url(self) -> str:
        digits = "".join(c for c in self.whatsapp if c.isdigit())
        return f"https://wa.me/{digits}" if digits else ""


class HomePage(Page):
    """The clinic's front door: a hero with a call to book, an introduction, services and team."""

    hero_title = models.CharField(_("hero title"), max_length=120)
    hero_text = models.TextField(_("hero text"), blank=True, max_length=400)
    hero_image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("hero image"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cta_label = models.CharField(_("call-to-action label"), max_length=40, default="Reservar cita")
    cta_page = models.ForeignKey(
        "wagtailcore.Page", verbose_name=_("call-to-action page"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Where the main button leads: usually the services page, where patients book."),
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link", "ul"])
    body = StreamField(BaseStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("hero_title"), FieldPanel("hero_text"), FieldPanel("hero_image")], heading=_("Hero")),
        MultiFieldPanel([FieldPanel("cta_label"), FieldPanel("cta_page")], heading=_("Call to action")),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("hero_text"), index.SearchField("intro")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["theme.StandardPage", "theme.ServiceIndexPage", "theme.TeamPage", "theme.ContactPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        from clinic.models import Practitioner, Service
        from portal.pagecache import PageLink, memo

        context = super().get_context(request, *args, **kwargs)
        context["featured_services"] = Service.objects.bookable_online()[:6]
        context["practitioners"] = Practitioner.objects.active().select_related("user", "photo")[:4]

        def section_links():
            # One query for both section links, by model name: no content-type lookups; the
            # button usually leads to the services page, fetched with them.
            sections = {
                page.model: PageLink(page, request)
                for page in self.get_children().live()
                .filter(content_type__app_label="theme", content_type__model__in=["serviceindexpage", "teampage"])
                .annotate(model=models.F("content_type__model"))
            }
            cta = next((link for link in sections.values() if link.pk == self.cta_page_id), None)
            if cta is None and self.cta_page_id and self.cta_page is not None:
                cta = PageLink(self.cta_page, request)
            return sections, cta

        # Once per clinic generation in each process (portal.pagecache).
        sections, context["cta_target"] = memo(request, ("sections", self.pk, self.cta_page_id), section_links)
        context["service_index"] = sections.get("serviceindexpage")
        context["team_page"] = sections.get("teampage")
        return context


class StandardPage(Page):
    """A free-form page: about us, policies, news."""

    intro = models.TextField(_("introduction"), blank=True, max_length=400)
    body = StreamField(BaseStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    subpage_types = ["theme.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


class ServiceIndexPage(Page):
    """The service catalogue, grouped by category, from the clinic's Service rows."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        HelpPanel(_("Services are listed from Clinic › Services; edit them there.")),
    ]
    parent_page_types = ["theme.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = _("services page")

    def get_context(self, request, *args, **kwargs):
        from clinic.models import Service

        context = super().get_context(request, *args, **kwargs)
        groups: dict = {}
        for service in Service.objects.active().select_related("category"):
            groups.setdefault(service.category, []).append(service)
        context["service_groups"] = list(groups.items())
        return context


class TeamPage(Page):
    """The clinic's practitioners, from the Practitioner rows."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        HelpPanel(_("The team is listed from Clinic › Practitioners; edit it there.")),
    ]
    parent_page_types = ["theme.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = _("team page")

    def get_context(self, request, *args, **kwargs):
        from clinic.models import Practitioner

        context = super().get_context(request, *args, **kwargs)
        context["practitioners"] = (
            Practitioner.objects.active().select_related("user", "photo").prefetch_related("services")
        )
        return context


class ContactPage(Page):
    """Where to find the clinic, when it is open, and a form that e-mails the clinic."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    opening_hours = models.TextField(_("opening hours"), blank=True, help_text=_("One line per day or range, e.g. “Lunes a viernes: 9:00–20:00”."))
    map_url = models.URLField(_("map link"), blank=True, help_text=_("A link to the clinic on a map service."))
    thank_you_text = models.CharField(
        _("thank-you message"), max_length=255, default="Gracias. Hemos recibido su mensaje y le responderemos pronto."
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        HelpPanel(_("Address, phone and e-mail come from Settings › Brand.")),
        FieldPanel("opening_hours"),
        FieldPanel("map_url"),
        FieldPanel("thank_you_text"),
    ]
    parent_page_types = ["theme.HomePage"]
    subpage_types = []
    max_count = 1

    class Meta:
        verbose_name = _("contact page")

    @property
    def opening_hours_lines(self) -> list[str]:
        return [line.strip() for line in self.opening_hours.splitlines() if line.strip()]

    def serve(self, request, *args, **kwargs):
        from django.conf import settings

        from clinic.services import receive_contact_message
        from tenants import ratelimit

        from .forms import ContactForm

        form = ContactForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            # Each message is e-mailed to the clinic: one IP may send a few, not hundreds.
            if ratelimit.consume(request, action="contact", rates=getattr(settings, "CONTACT_FORM_RATE", "5/600,30/86400")):
                receive_contact_message(**form.cleaned_data_for_message())
                return redirect(self.url + "?sent=1")
            form.add_error(None, _("You have sent several messages in a short time. Please wait a few minutes, or call us."))
            status = 429
        context = self.get_context(request, *args, **kwargs)
        context.update(form=form, sent=request.GET.get("sent") == "1")
        return TemplateResponse(request, self.get_template(request, *args, **kwargs), context, status=status)
