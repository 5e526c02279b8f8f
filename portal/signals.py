"""Worker hygiene: every queued task starts on the public schema.

Without this a task that switched schema (even through a crash) left the next task
on the same worker in that clinic (STACK-NOTES "Background jobs").
"""

from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_q.signals import pre_execute


@receiver(pre_execute, dispatch_uid="portal_reset_schema_before_task")
def reset_schema_before_task(sender, func, task, **kwargs):
    connection.set_schema_to_public()


@receiver(post_save, sender="wagtailusers.UserProfile", dispatch_uid="portal_language_from_wagtail_profile")
def keep_the_admin_language_for_emails(sender, instance, raw=False, **kwargs):
    """Staff pick their language in the Wagtail admin (Account › Preferences); e-mails to
    them follow it, as patients' follow the site's language switcher (issue 8)."""
    from django.conf import settings

    code = instance.preferred_language
    if raw or code not in dict(settings.LANGUAGES):
        return
    type(instance.user).objects.filter(pk=instance.user_id).exclude(language=code).update(language=code)
