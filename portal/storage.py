"""Where each clinic's uploads live: website images in public, everything else in private.

Issue 8, item 9 (STACK-NOTES "Traps"): Wagtail documents used to sit under the media
root, so the media route served documents of login-restricted collections to anyone.
Now the default storage decides by the upload's top folder:

- ``original_images/``, ``images/`` (Wagtail images and renditions on the website) and
  ``avatar_images/`` (staff avatars in the admin) go to ``MEDIA_ROOT/<schema>/`` and
  have a public URL under ``/media/<schema>/`` (served only on the clinic's own host);
- everything else, Wagtail documents (``documents/``) first, goes to
  ``PRIVATE_MEDIA_ROOT/<schema>/``, outside the media root, and has no URL at all: it
  is served only by a view that checks the user (Wagtail's document view).

Private is the default, so a future upload field cannot become public by accident.
Deciding by name keeps Wagtail's own Document model (no model swap, no migration in
any schema or in the clone template).
"""

import os
import posixpath

from django.conf import settings
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible
from django_tenants.files.storage import TenantFileSystemStorage

# Top folders of the uploads that may be public (upload_to of Wagtail's image models
# and of its user profile avatar).
PUBLIC_FOLDERS = frozenset({"original_images", "images", "avatar_images"})


def is_public_name(name: str) -> bool:
    """True only for a clean relative name (``original_images/x.png``) under a public
    folder; anything unusual (``..``, ``./``, ``//``, backslashes) counts as private."""
    if not name or "\\" in name or "\x00" in name or posixpath.normpath(name) != name:
        return False
    folder, sep, rest = name.partition("/")
    return folder in PUBLIC_FOLDERS and bool(sep and rest)


class PrivateFileSystemStorage(TenantFileSystemStorage):
    """``PRIVATE_MEDIA_ROOT/<schema>/``: no URL; files go out only through checked views."""

    @property
    def relative_media_root(self):
        return os.path.join(settings.PRIVATE_MEDIA_ROOT, settings.MULTITENANT_RELATIVE_MEDIA_ROOT)

    def url(self, name):
        # Wagtail's document view catches NotImplementedError and serves through itself.
        raise NotImplementedError("Private files have no public URL.")


@deconstructible(path="portal.storage.ClinicStorage")
class ClinicStorage(Storage):
    """The default storage: public for website images, private for everything else."""

    def __init__(self):
        self.public = TenantFileSystemStorage()
        self.private = PrivateFileSystemStorage()

    def _for(self, name):
        return self.public if is_public_name(name) else self.private

    # Storage API, each call handed to the storage that owns the name.
    def _open(self, name, mode="rb"):
        return self._for(name)._open(name, mode)

    def _save(self, name, content):
        return self._for(name)._save(name, content)

    def get_available_name(self, name, max_length=None):
        return self._for(name).get_available_name(name, max_length=max_length)

    def delete(self, name):
        return self._for(name).delete(name)

    def exists(self, name):
        return self._for(name).exists(name)

    def listdir(self, path):
        # A folder belongs where a file directly inside it would.
        return self._for(posixpath.join(path.strip("/"), "_")).listdir(path)

    def path(self, name):
        return self._for(name).path(name)

    def size(self, name):
        return self._for(name).size(name)

    def url(self, name):
        return self._for(name).url(name)

    def get_accessed_time(self, name):
        return self._for(name).get_accessed_time(name)

    def get_created_time(self, name):
        return self._for(name).get_created_time(name)

    def get_modified_time(self, name):
        return self._for(name).get_modified_time(name)
