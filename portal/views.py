import os

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.static import serve

from portal.accounts import remember_language
from portal.storage import is_public_name


def unknown_host(request):
    """No clinic answers to this host: a plain 404, never the platform or another clinic."""
    return render(request, "portal/unknown_host.html", {"host": request.get_host()}, status=404)


def clinic_media(request, schema, path):
    """A clinic's website images, served only on that clinic's own host.

    Only names under a public folder (portal.storage.PUBLIC_FOLDERS: Wagtail images,
    renditions and avatars) of ``MEDIA_ROOT/<schema>/`` are served; documents and every
    other upload live in the private root and go out only through views that check the
    user (issue 8, item 9). Another clinic's host answers 404 (tenancy rule 4). At
    scale, put a CDN or the web server in front of /media/ with the same rule.
    """
    if schema != request.tenant.schema_name or not is_public_name(path):
        raise Http404
    return serve(request, path, document_root=os.path.join(settings.MEDIA_ROOT, schema))


@csrf_exempt
def set_language(request):
    """Django's language switcher, and a signed-in person's choice is also kept on their
    account, so e-mails (sent later, by jobs, with no request) are written in it (issue 8).

    Anonymous visitors switch without a CSRF token: the switcher is on every clinic page,
    and a page with a token can never be cached (portal.pagecache). All their switch
    changes is their own language cookie (a forged POST can at worst show them the site
    in the other language). A signed-in person's switch also writes to their account,
    so it is still CSRF-checked; their pages are never cached and carry the token.
    Unknown codes change nothing, as in Django's view."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return _checked_set_language(request)
    return _set_language(request)


def _set_language(request):
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    if request.method == "POST":
        remember_language(user=getattr(request, "user", None), code=request.POST.get("language", ""))
    return response


_checked_set_language = csrf_protect(_set_language)
