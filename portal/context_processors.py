from django.conf import settings


def platform(request):
    """The platform's host name, for texts such as "<address>.<platform host>"."""
    return {"PLATFORM_HOST": settings.PLATFORM_HOST}
