from django.shortcuts import render


def page_not_found(request, exception=None):
    """404 on a clinic host, in the clinic's own theme."""
    return render(request, "theme/404.html", status=404)
