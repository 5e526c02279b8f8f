"""Staff see the admin in their clinic's time zone.

Wagtail shows admin dates in the user's profile zone, else in settings.TIME_ZONE
(UTC, the storage zone). Every account made in a clinic gets a profile starting in
the clinic's zone; the person can still pick another in their account settings.
"""

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import receiver


def ensure_profile_time_zone(user) -> None:
    from wagtail.users.models import UserProfile

    zone = getattr(connection.tenant, "time_zone", None)
    if not zone:
        return  # the platform schema, or a bare schema without a clinic row
    profile = UserProfile.get_for_user(user)
    if not profile.current_time_zone:
        profile.current_time_zone = zone
        profile.save(update_fields=["current_time_zone"])


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="clinic_user_profile_time_zone")
def start_in_the_clinic_time_zone(sender, instance, created, **kwargs):
    if created and not kwargs.get("raw"):
        ensure_profile_time_zone(instance)
