from django.shortcuts import render


def unknown_host(request):
    """No clinic answers to this host: a plain 404, never the platform or another clinic."""
    return render(request, "portal/unknown_host.html", {"host": request.get_host()}, status=404)
