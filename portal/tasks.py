"""The one wrapper through which clinic work is queued (tenancy rule 5).

A django-q2 task does not inherit the schema it was queued from, and a task that
switches schema leaks the switch into the next task on the same worker
(STACK-NOTES "Background jobs"). So every job names its schema, runs inside
``schema_context``, and ``portal.signals`` resets the worker before each task.

    enqueue("clinic.tasks.send_contact_message", message_id=5)      # current schema
    enqueue("tenants.tasks.provision", signup_id=1, schema_name="public")
"""

import logging
from contextlib import contextmanager
from datetime import UTC
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from .tenancy import current_schema, get_public_schema_name, tenant_for

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


def enqueue_on_commit(func_path: str, /, *, schema_name: str | None = None, task_name: str | None = None, **kwargs) -> None:
    """Queue a job that must run once the current transaction commits, and never be lost.

    With the ORM broker (the default, django-q2 on this PostgreSQL) the task row is
    written now, inside the caller's transaction: it commits with the data it is about
    (a worker cannot see it before) or rolls back with it. ``transaction.on_commit``
    would leave a gap: a worker that dies between the commit and the enqueue loses the
    job, and a job that redelivers its work then sees it "already done" (STACK-NOTES
    traps; issue 8). With another broker (Redis), or jobs run inline (tests), the job
    is queued on commit as before.
    """
    from django.db import transaction
    from django_q.conf import Conf

    schema_name = schema_name or current_schema()  # the schema may change before commit
    if Conf.ORM and not Conf.SYNC and transaction.get_connection(Conf.ORM).in_atomic_block:
        enqueue(func_path, schema_name=schema_name, task_name=task_name, **kwargs)
    else:
        transaction.on_commit(lambda: enqueue(func_path, schema_name=schema_name, task_name=task_name, **kwargs))


def job_zone(schema_name: str):
    """The zone a job in ``schema_name`` speaks in: the clinic's own, UTC for the platform.

    Template ``date``/``time`` filters convert aware datetimes to the *active* zone, so
    a job left on UTC e-mailed a 09:45 Madrid visit as 08:45 (issue 8, STACK-NOTES).
    """
    if schema_name == get_public_schema_name():
        return UTC
    zone = getattr(connection.tenant, "time_zone", "")
    return ZoneInfo(zone) if zone else UTC


@contextmanager
def in_job_context(schema_name: str):
    """The schema (with its clinic as ``connection.tenant``) and its time zone, active together."""
    with tenant_for(schema_name), timezone.override(job_zone(schema_name)):
        yield


def run_in_schema(schema_name: str, func_path: str, kwargs: dict):
    """Worker side of :func:`enqueue`: import the function and call it inside the schema,
    with the clinic itself as ``connection.tenant`` (its time zone, currency…) and the
    clinic's time zone active, so every date a job prints is the clinic's wall clock."""
    func = import_string(func_path)
    with in_job_context(schema_name):
        logger.info("job %s in %s", func_path, schema_name)
        return func(**kwargs)
