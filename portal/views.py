import os

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.static import serve


def unknown_host(request):
    """No clinic answers to this host: a plain 404, never the platform or another clinic."""
    return render(request, "portal/unknown_host.html", {"host": request.get_host()}, status=404)


def clinic_media(request, schema, path):
    """A clinic's public uploads (website images), served only on that clinic's own host.

    Files live under ``MEDIA_ROOT/<schema>/`` (TenantFileSystemStorage); another
    clinic's host answers 404 for them (tenancy rule 4). Private documents never go
    through here. At scale, put a CDN or the web server in front of /media/.
    """
    if schema != request.tenant.schema_name:
        raise Http404
    return serve(request, path, document_root=os.path.join(settings.MEDIA_ROOT, schema))
