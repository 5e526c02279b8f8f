"""pytest-django: the embedded PostgreSQL (or DATABASE_URL), in-memory e-mail, jobs run inline."""

import os

# Tests start their own localstripe on another port than `make dev`'s.
os.environ.setdefault("LOCALSTRIPE_PORT", "8421")

from .dev import *  # noqa: E402, F403
from .dev import Q_CLUSTER  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-key"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Jobs run in the caller's process; the wrapper in portal.tasks still switches and
# restores the schema exactly as a worker does.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = str(BASE_DIR / ".data" / "test-media")  # noqa: F405
PRIVATE_MEDIA_ROOT = str(BASE_DIR / ".data" / "test-private-media")  # noqa: F405
# Tests change domains and clinic states inside rolled-back transactions, which send
# no signals: no host cache here, except in the tests that measure it.
TENANT_HOST_CACHE_SECONDS = 0
