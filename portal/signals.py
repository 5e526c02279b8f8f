"""Worker hygiene: every queued task starts on the public schema.

Without this a task that switched schema (even through a crash) left the next task
on the same worker in that clinic (STACK-NOTES "Background jobs").
"""

from django.db import connection
from django.dispatch import receiver
from django_q.signals import pre_execute


@receiver(pre_execute, dispatch_uid="portal_reset_schema_before_task")
def reset_schema_before_task(sender, func, task, **kwargs):
    connection.set_schema_to_public()
