"""System checks for settings a deploy could get dangerously wrong."""

import os

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_private_media_root(app_configs, **kwargs):
    """Private uploads must not be reachable through the media root (issue 8, item 9)."""
    media = os.path.realpath(settings.MEDIA_ROOT)
    private = os.path.realpath(settings.PRIVATE_MEDIA_ROOT)
    if private == media or private.startswith(media + os.sep) or media.startswith(private + os.sep):
        return [
            Error(
                "PRIVATE_MEDIA_ROOT must be a directory outside MEDIA_ROOT.",
                hint="Documents in private collections would be served by the media route or the web server.",
                id="portal.E001",
            )
        ]
    return []
