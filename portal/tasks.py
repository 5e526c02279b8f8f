"""The one wrapper through which clinic work is queued (tenancy rule 5).

A django-q2 task does not inherit the schema it was queued from, and a task that
switches schema leaks the switch into the next task on the same worker
(STACK-NOTES "Background jobs"). So every job names its schema, runs inside
``schema_context``, and ``portal.signals`` resets the worker before each task.

    enqueue("clinic.tasks.send_contact_message", message_id=5)      # current schema
    enqueue("tenants.tasks.provision", signup_id=1, schema_name="public")
"""

import logging

from django.db import connection
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from .tenancy import current_schema, tenant_for

logger = logging.getLogger(__name__)


def enqueue(func_path: str, /, *, schema_name: str | None = None, task_name: str | None = None, **kwargs):
    """Queue ``func_path(**kwargs)`` to run in ``schema_name`` (default: the current one).

    Arguments are keyword-only and must be picklable plain values (ids, not model
    instances: a row may change between queueing and running). Returns the task id.
    """
    schema_name = schema_name or current_schema()
    caller = connection.tenant
    try:
        return async_task(
            "portal.tasks.run_in_schema",
            schema_name,
            func_path,
            kwargs,
            task_name=task_name or f"{schema_name}:{func_path}",
            group=schema_name,
        )
    finally:
        # With Q_CLUSTER["sync"] (tests) the job runs right here, and the worker's
        # reset to public would otherwise leak back into the caller (STACK-NOTES).
        if connection.tenant is not caller:
            connection.set_tenant(caller)


def run_in_schema(schema_name: str, func_path: str, kwargs: dict):
    """Worker side of :func:`enqueue`: import the function and call it inside the schema,
    with the clinic itself as ``connection.tenant`` (its time zone, currency…)."""
    func = import_string(func_path)
    with tenant_for(schema_name):
        logger.info("job %s in %s", func_path, schema_name)
        return func(**kwargs)
