"""Tenancy rule 5: queued work runs in the schema it names and leaves the worker on public."""

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection

from portal.mail import queue_email
from portal.signals import reset_schema_before_task
from portal.tasks import enqueue, run_in_schema

pytestmark = pytest.mark.django_db

seen = []


def record_schema(*, label):
    seen.append((label, connection.schema_name))
    return connection.schema_name


def fail_inside(*, label):
    seen.append((label, connection.schema_name))
    raise RuntimeError("boom")


def test_a_job_runs_in_the_schema_it_was_queued_from(clinic_a, in_clinic):
    seen.clear()
    with in_clinic(clinic_a):
        enqueue("tests.portal.test_tasks.record_schema", label="from A")  # Q_CLUSTER sync in tests
        assert connection.schema_name == clinic_a.schema_name
    assert seen == [("from A", clinic_a.schema_name)]


def test_a_job_can_name_its_schema_explicitly(clinic_b):
    seen.clear()
    enqueue("tests.portal.test_tasks.record_schema", schema_name=clinic_b.schema_name, label="to B")
    assert seen == [("to B", clinic_b.schema_name)]
    assert connection.schema_name == "public"


def test_a_failing_job_does_not_leak_its_schema(clinic_a):
    seen.clear()
    with pytest.raises(RuntimeError):
        run_in_schema(clinic_a.schema_name, "tests.portal.test_tasks.fail_inside", {"label": "x"})
    assert seen == [("x", clinic_a.schema_name)]
    assert connection.schema_name == "public"


def test_the_worker_is_reset_to_public_before_each_task(clinic_a):
    connection.set_tenant(clinic_a)  # as if a previous task had leaked its schema
    reset_schema_before_task(sender=None, func=None, task={})
    assert connection.schema_name == "public"


def test_email_is_queued_only_after_commit(clinic_a, in_clinic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with in_clinic(clinic_a):
            queue_email(EmailMultiAlternatives("Asunto", "Cuerpo", "a@clinic.example", ["b@correo.example"]))
        assert mail.outbox == []  # nothing leaves inside the transaction
    for callback in callbacks:
        callback()
    assert [m.subject for m in mail.outbox] == ["Asunto"]


def test_a_job_queued_for_after_commit_commits_or_rolls_back_with_its_transaction(monkeypatch, clinic_a, in_clinic):
    """With the ORM broker the task row is written in the caller's transaction: a worker dying
    between the commit and an on-commit enqueue can no longer lose the job (the receipt,
    set-password and welcome e-mails were lost that way; issue 8 review). Tests run jobs
    inline (sync), so this test turns sync off to see what a real worker would find."""
    from django.db import transaction
    from django_q.conf import Conf
    from django_q.models import OrmQ

    from portal.tasks import enqueue_on_commit

    monkeypatch.setattr(Conf, "SYNC", False)
    before = OrmQ.objects.count()
    with in_clinic(clinic_a):
        try:
            with transaction.atomic():
                enqueue_on_commit("portal.mail.send_email", subject="s", body="b", from_email="a@x.example", to=["b@x.example"])
                assert OrmQ.objects.count() == before + 1  # written now, invisible to workers until commit
                raise RuntimeError("the business transaction fails")
        except RuntimeError:
            pass
        assert OrmQ.objects.count() == before  # rolled back with it: nothing is sent
        with transaction.atomic():
            enqueue_on_commit("portal.mail.send_email", subject="s", body="b", from_email="a@x.example", to=["b@x.example"])
    [task] = OrmQ.objects.all()[before:]
    assert task.task["args"][0] == clinic_a.schema_name  # it carries its clinic's schema
