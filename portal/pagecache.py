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
static paths, a clinic that is not active.

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
        if getattr(tenant, "kind", None) != Clinic.Kind.CLINIC or tenant.status != Clinic.Status.ACTIVE:
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
    from wagtail.models import Page, Site

    from clinic.models import Practitioner, Service, ServiceCategory, WorkingHours
    from theme.models import BrandSettings

    return (Page, Site, AbstractImage, BrandSettings, Service, ServiceCategory, Practitioner, WorkingHours)


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
