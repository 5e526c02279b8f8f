"""A page cache for anonymous visitors of clinic websites, on the shared cache.

Why: a clinic's Wagtail page costs about 20 ms of server work and every patient and
search engine pays it; a stored copy answers in well under a millisecond (README
"Performance"). The cached copy is served by ``PageCacheMiddleware``, placed just
after the tenant middleware, before sessions, CSRF, Wagtail's routing and the view.

Keys (built by the cache's ``django_tenants.cache.make_key``, so they carry the
clinic's schema, tenancy rule 3) also name the scheme, the host (with port), the
language the page would be rendered in and the path. Each entry remembers the
clinic's *generation* it was rendered under; the generation is one small key per
clinic, read in the same round trip as the entry (``get_many``) and replaced by a
fresh random value whenever something a page shows changes (``clinic_changed``):
the next request in every worker misses at once. A generation missing from the cache
(evicted) is replaced by a new random one, so an eviction can never bring old
copies back.

Only stored: a 200 answer to a GET with no query string and no session cookie, from
Wagtail's page view, that sets no cookie, used no CSRF token, carries no message and
was rendered in the language of its key. Never looked up: other methods, requests
with a query string or a session cookie (a signed-in person, or someone with a
message waiting), the admin, accounts, /cuenta/, booking, documents, media and
static paths, a suspended or cancelled clinic.

The page's CSP nonce is replaced by a fresh one on every hit, so no two answers share
a nonce.
"""

import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import translation

GENERATION_KEY = "pagecache:generation"
ENTRY_KEY = "pagecache:page:{scheme}:{host}:{language}:{path}"
# Paths whose answers are personal, carry forms, or are served elsewhere: never looked up.
SKIPPED_PREFIXES = (
    "/admin/", "/accounts/", "/cuenta/", "/reservar/", "/presupuesto/", "/documents/", "/media/",
    "/static/", "/i18n/", "/_util/", "/stripe/",
)
# Response headers worth keeping with the copy (the ones added outside this middleware,
# CSP, Permissions-Policy and the security headers, are added again on every answer).
STORED_HEADERS = ("Content-Type", "Content-Language", "Vary", "X-Frame-Options", "Cache-Control")


def _new_generation() -> str:
    return secrets.token_hex(8)


def clinic_changed(schema_name: str | None = None) -> None:
    """Every cached page of the clinic (the current schema, or ``schema_name``) is stale.

    Called by the signal receivers below for pages, brand settings,
    services, categories, practitioners, hours, images and sites; call it yourself
    after a bulk ``.update()`` of such rows, which sends no signal. Bumps at once (so
    the same transaction's later reads and the tests see it) and again after the
    commit (so a page rendered from the old rows while the transaction was open,
    stored under the generation it started with, is never served afterwards).
    """
    from portal.tenancy import schema_context

    schema_name = schema_name or connection.schema_name
    if not schema_name or schema_name == _public():
        return

    def bump():
        if connection.schema_name == schema_name:
            cache.set(GENERATION_KEY, _new_generation(), None)
        else:
            with schema_context(schema_name):
                cache.set(GENERATION_KEY, _new_generation(), None)

    bump()
    if connection.in_atomic_block:
        transaction.on_commit(bump)


def _public() -> str:
    from django_tenants.utils import get_public_schema_name

    return get_public_schema_name()


def _cookie_free(request) -> bool:
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


class PageCacheMiddleware:
    """Serves and stores anonymous clinic pages (see the module's docstring).

    Answers carry ``X-Page-Cache: hit`` when served from the cache and ``miss`` when
    rendered and stored. Side effects: one ``get_many`` on the shared cache per
    eligible request (one query with the database cache), one ``set`` per stored page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY)
        if generation is None:
            generation = _new_generation()
            cache.set(GENERATION_KEY, generation, None)
        request._clinic_generation = generation
        entry = found.get(key)
        if entry is not None and entry["generation"] == generation:
            return self._answer(request, entry)
        response = self.get_response(request)
        if self._storable(request, response):
            body = response.content
            nonce = getattr(request, "_csp_nonce", None)
            cache.set(key, {
                "generation": generation,
                "body": body,
                "nonce": nonce.encode() if isinstance(nonce, str) and nonce.encode() in body else None,
                "headers": [(name, response[name]) for name in STORED_HEADERS if response.has_header(name)],
            }, settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    @staticmethod
    def _key(request):
        from tenants.models import Clinic

        if not settings.PAGE_CACHE_SECONDS or request.method != "GET" or request.META.get("QUERY_STRING"):
            return None
        tenant = getattr(request, "tenant", None)
        # A suspended or cancelled clinic answers its 503 notice (ClinicStatusMiddleware).
        if getattr(tenant, "kind", None) != Clinic.Kind.CLINIC or tenant.status in (Clinic.Status.SUSPENDED, Clinic.Status.CANCELLED):
            return None
        path = request.path
        if path.startswith(SKIPPED_PREFIXES) or not _cookie_free(request) or len(path) > 500:
            return None
        language = translation.get_language_from_request(request)
        return ENTRY_KEY.format(scheme=request.scheme, host=request.get_host(), language=language, path=path)

    @staticmethod
    def _storable(request, response) -> bool:
        match = getattr(request, "resolver_match", None)
        messages = getattr(request, "_messages", None)
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and match is not None
            and match.url_name == "wagtail_serve"
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not (messages is not None and len(messages))
            and not response.has_header("Set-Cookie")
            and translation.get_language() == translation.get_language_from_request(request)
            and getattr(request, "user", None) is not None
            and not request.user.is_authenticated
        )

    @staticmethod
    def _answer(request, entry):
        body = entry["body"]
        if entry["nonce"]:
            body = body.replace(entry["nonce"], str(request.csp_nonce).encode())
        response = HttpResponse(body)
        for name, value in entry["headers"]:
            response[name] = value
        response["X-Page-Cache"] = "hit"
        return response


# What a clinic page shows: pages (publish, unpublish, move, delete, and a live page
# saved in code), brand settings, the catalogue, the team and its hours (they decide
# whether "Book" shows), images and the site. Practitioners' names live on the user.
def _watched():
    from wagtail.images.models import AbstractImage
    from wagtail.models import Page, PageViewRestriction, Site

    from clinic.models import Practitioner, Service, ServiceCategory, WorkingHours
    from theme.models import BrandSettings

    return (Page, PageViewRestriction, Site, AbstractImage, BrandSettings, Service, ServiceCategory, Practitioner, WorkingHours)


def _on_row_change(sender, instance=None, raw=False, **kwargs):
    if raw or not isinstance(instance, _watched()):
        return
    clinic_changed()


def _on_user_change(sender, instance=None, raw=False, update_fields=None, **kwargs):
    """A practitioner's name or e-mail is on the team and home pages; a sign-in (which
    saves ``last_login`` only) and patients change nothing there."""
    from clinic.models import Practitioner

    if raw or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    if connection.schema_name != _public() and Practitioner.objects.filter(user_id=instance.pk).exists():
        clinic_changed()


def _on_practitioner_services(sender, **kwargs):
    if kwargs.get("action", "").startswith("post_"):
        clinic_changed()


def _on_page_event(sender, **kwargs):
    clinic_changed()


def _connect():
    from django.contrib.auth import get_user_model
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

    from clinic.models import Practitioner

    post_save.connect(_on_row_change, dispatch_uid="pagecache_row_saved")
    post_delete.connect(_on_row_change, dispatch_uid="pagecache_row_deleted")
    post_save.connect(_on_user_change, sender=get_user_model(), dispatch_uid="pagecache_user_saved")
    m2m_changed.connect(_on_practitioner_services, sender=Practitioner.services.through, dispatch_uid="pagecache_practitioner_services")
    for name, signal in (("published", page_published), ("unpublished", page_unpublished), ("moved", post_page_move), ("slug", page_slug_changed)):
        signal.connect(_on_page_event, dispatch_uid=f"pagecache_page_{name}")


# ---------------------------------------------------------------------------------------
# The uncached page: what every page of a clinic looks up, remembered per process
# ---------------------------------------------------------------------------------------
# Each web process keeps, per clinic schema, the small things every page of that clinic
# looks up (its Wagtail site and site root paths, the routed page and its view
# restrictions, brand settings, menu links, whether booking is open), valid for one
# generation of the clinic: the same key that invalidates cached pages invalidates
# these, so a change shows on the next request in every process. Costs one cache read
# per request (the generation; none when the page cache already read it).
_memos: dict[str, tuple[str, dict]] = {}


def generation(request=None) -> str:
    """The current clinic's generation, read once per request."""
    if request is not None and hasattr(request, "_clinic_generation"):
        return request._clinic_generation
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = _new_generation()
        cache.set(GENERATION_KEY, value, None)
    if request is not None:
        request._clinic_generation = value
    return value


def memo(request, name, factory):
    """``factory()`` once per clinic, generation and ``name`` in this process."""
    schema, current = connection.schema_name, generation(request)
    held = _memos.get(schema)
    if held is None or held[0] != current:
        held = _memos[schema] = (current, {})
    try:
        return held[1][name]
    except KeyError:
        value = held[1][name] = factory()
        return value


def forget_memos() -> None:
    """Drop this process's memos (tests: rolled-back rows leave the generation as it was)."""
    _memos.clear()


class PageLink:
    """What a menu or a section link needs of a page (title, URL, tree path), without
    keeping the page object itself in the memo (a few hundred bytes instead of kilobytes
    per clinic: worker memory stays flat as clinics pile up)."""

    __slots__ = ("pk", "title", "url", "path")

    def __init__(self, page, request):
        self.pk, self.title, self.path = page.pk, page.title, page.path
        self.url = page.get_url(request)


def _is_clinic(request) -> bool:
    from tenants.models import Clinic

    return getattr(getattr(request, "tenant", None), "kind", None) == Clinic.Kind.CLINIC


def site_for(request):
    """Wagtail's Site for this request (and its site root paths), from the memo."""
    from wagtail.models import Site

    if not hasattr(request, "_wagtail_site"):
        host, port = request._get_raw_host(), request.get_port()
        request._wagtail_site = memo(request, ("site", host, port), lambda: Site._find_for_request(request))
        request._wagtail_cached_site_root_paths = memo(request, "root_paths", Site.get_site_root_paths)
    return request._wagtail_site


def brand_for(request):
    """The clinic's BrandSettings for this request, from the memo (and on the request,
    where Wagtail's ``settings`` context processor finds it too)."""
    from theme.models import BrandSettings

    attr = BrandSettings.get_cache_attr_name()
    if not hasattr(request, attr):
        site = site_for(request) if _is_clinic(request) else None
        if site is None:
            return BrandSettings.for_request(request)
        setattr(request, attr, memo(request, ("brand", site.pk), lambda: BrandSettings.for_site(site)))
    return getattr(request, attr)


def _route(request, path):
    from wagtail.models import Page

    result = Page.route_for_request(request, path)
    if result is not None:
        page = result[0]
        # Routing leaves a copy of the home page on each child page; kept in the memo it
        # would triple the home page's memory per clinic.
        page.__dict__.pop("_cached_parent_obj", None)
        restrictions = list(page.get_view_restrictions())
        # Checked per request by Wagtail's hook (restriction.accept_request); only the
        # lookup is remembered, with the page, for this generation.
        page.get_view_restrictions = lambda: restrictions
    return result


class ClinicSiteMiddleware:
    """Before Wagtail's page view on a clinic host: the site, site root paths and route
    from this process's memo instead of four to six queries (see ``memo``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from wagtail.views import serve

        if view_func is not serve or not _is_clinic(request):
            return None
        site_for(request)
        path = view_args[0] if view_args else view_kwargs.get("path", "")
        key = ("route", request._get_raw_host(), path)
        held = _memos.get(connection.schema_name)
        route = held[1].get(key) if held is not None and held[0] == generation(request) else None
        if route is None:
            route = _route(request, path)
            if route is not None:  # unknown paths are not remembered: no memo grows with 404s
                memo(request, key, lambda: route)
        request._wagtail_route_for_request = route
        return None
