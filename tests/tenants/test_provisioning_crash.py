"""Issue 8 #4: a paid signup always ends with a live clinic or a visible, retryable failure,
whatever crashes and when. Provisioning is its own job of checked steps; a crash at any
step is resumed by the next run (the job again, the sweep, an operator), and two runs at
once make one clinic. Real PostgreSQL schemas (cloned and rolled back with the test)."""

import threading
import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from billing.models import Payment, Subscription
from portal.tenancy import clinic_context, public_context
from tenants import services
from tenants.models import Clinic, Domain, Plan, Signup

STEP_NAMES = [name for name, _step in services.PROVISIONING_STEPS]
EMAIL = "marta@crash.example"


def make_paid_signup(slug="crash-norte", **fields) -> Signup:
    """A signup whose first period was paid (the webhook job marked it paid)."""
    plan = Plan.objects.get(code="mensual")
    now = timezone.now()
    values = dict(
        clinic_name="Clínica Crash", slug=slug, contact_name="Marta Gil", email=EMAIL, phone="+34 600 000 000",
        country="ES", time_zone="Europe/Madrid", plan=plan, language="en", accepted_terms_at=now,
        status=Signup.Status.PAID, paid_at=now, stripe_customer="cus_crash", payment_method="pm_crash",
    )
    signup = Signup.objects.create(**{**values, **fields})
    Payment.objects.create(
        signup=signup, kind=Payment.Kind.FIRST_PERIOD, status=Payment.Status.SUCCEEDED, amount=plan.price, currency=plan.currency,
        period_start=now, period_end=services.add_interval(now, plan), stripe_payment_intent=f"pi_{uuid.uuid4().hex}", paid_at=now,
    )
    return signup


def set_password_mails():
    return [m for m in mail.outbox if "/password/reset/key/" in m.body and m.to == [EMAIL]]


def welcome_mails():
    return [m for m in mail.outbox if m.subject.startswith("Welcome to Clinic Portal") and m.to == [EMAIL]]


def assert_one_live_clinic(signup):
    signup.refresh_from_db()
    assert signup.status == Signup.Status.LIVE and signup.error == ""
    [clinic] = Clinic.objects.filter(slug=signup.slug)
    assert signup.clinic == clinic and clinic.status == Clinic.Status.ACTIVE
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE %s", [clinic.schema_name + "%"])
        assert cursor.fetchone()[0] == 1
    assert Domain.objects.filter(tenant=clinic).count() == 1
    with clinic_context(clinic):
        [admin] = get_user_model().objects.filter(email=EMAIL)
        assert admin.groups.filter(name="Administración de la clínica").exists() or admin.groups.exists()
    assert Subscription.objects.filter(clinic=clinic).count() == 1
    assert clinic.subscription.payment_method == "pm_crash"
    assert list(Payment.objects.filter(signup=signup).values_list("clinic", flat=True)) == [clinic.pk]
    assert len(set_password_mails()) == 1
    assert len(welcome_mails()) == 1
    assert Client(HTTP_HOST=clinic.primary_host).get("/").status_code == HTTPStatus.OK
    return clinic


def crash_once_at(monkeypatch, step_name, exception=RuntimeError):
    """Make ``step_name`` fail the first time it runs (before doing anything), as a
    killed worker would leave it: every earlier step committed, nothing of this one."""
    crashed = []

    def wrap(real):
        def step(signup):
            if not crashed:
                crashed.append(step_name)
                raise exception(f"worker killed before {step_name}")
            return real(signup)

        return step

    monkeypatch.setattr(
        services, "PROVISIONING_STEPS", [(name, wrap(func) if name == step_name else func) for name, func in services.PROVISIONING_STEPS]
    )
    return crashed


@pytest.mark.django_db
@pytest.mark.parametrize("step", STEP_NAMES)
def test_provisioning_resumes_after_crash_at_each_step(step, monkeypatch, django_capture_on_commit_callbacks):
    signup = make_paid_signup()
    crashed = crash_once_at(monkeypatch, step)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.provision_signup(signup_id=str(signup.pk)) is None
    assert crashed == [step]
    signup.refresh_from_db()
    assert signup.status == Signup.Status.FAILED and f"worker killed before {step}" in signup.error  # visible to operators
    assert signup.provisioning_attempts == 1

    with django_capture_on_commit_callbacks(execute=True):
        clinic = services.provision_signup(signup_id=str(signup.pk))  # the next run: job, sweep or operator
    assert assert_one_live_clinic(signup) == clinic
    with django_capture_on_commit_callbacks(execute=True):  # and once more: nothing changes, nothing is sent
        services.provision_signup(signup_id=str(signup.pk))
    assert_one_live_clinic(signup)


@pytest.mark.django_db
def test_sweep_provisions_signup_left_paid(monkeypatch, django_capture_on_commit_callbacks):
    """The worker dies in the middle (SystemExit passes every ``except Exception``): the
    signup stays paid with half a clinic and no error, and no job is left to finish it."""
    signup = make_paid_signup()
    crash_once_at(monkeypatch, "admin", exception=SystemExit)
    with pytest.raises(SystemExit), django_capture_on_commit_callbacks(execute=True):
        services.provision_signup(signup_id=str(signup.pk))
    signup.refresh_from_db()
    assert signup.status == Signup.Status.PAID and signup.clinic is not None  # schema and domain made, no admin
    assert Domain.objects.filter(tenant=signup.clinic).count() == 1 and not set_password_mails()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_unprovisioned_signups() == 0  # within the grace time: its own job may still be running
    Signup.objects.filter(pk=signup.pk).update(provisioning_started_at=timezone.now() - timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_unprovisioned_signups() == 1
    assert_one_live_clinic(signup)


@pytest.mark.django_db
def test_sweep_finds_a_paid_signup_whose_job_was_lost(django_capture_on_commit_callbacks):
    """Paid, but the provisioning job never ran (queued on commit by a worker that died)."""
    signup = make_paid_signup()
    Signup.objects.filter(pk=signup.pk).update(paid_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_unprovisioned_signups() == 1
    assert_one_live_clinic(signup)


def test_provisioning_schedules_include_the_sweep_and_a_short_expiry():
    schedules = {func: minutes for _name, func, minutes, *_kwargs in services.SCHEDULES}
    assert schedules["tenants.services.sweep_unprovisioned_signups"] <= 2
    assert schedules["tenants.services.expire_stale_signups"] <= 5


@pytest.mark.django_db
def test_sweep_retries_failures_with_backoff_then_leaves_them_failed(monkeypatch):
    queued = []
    monkeypatch.setattr("portal.tasks.async_task", lambda *args, **kwargs: queued.append(args[3]["signup_id"]))  # count, don't run
    now = timezone.now()
    fresh_failure = make_paid_signup(slug="falla-reciente", status=Signup.Status.FAILED, provisioning_attempts=1, provisioning_started_at=now - timedelta(seconds=10))
    old_failure = make_paid_signup(slug="falla-antigua", status=Signup.Status.FAILED, provisioning_attempts=1, provisioning_started_at=now - timedelta(minutes=2))
    exhausted = make_paid_signup(slug="falla-agotada", status=Signup.Status.FAILED, provisioning_attempts=5, provisioning_started_at=now - timedelta(days=1))
    payment_failed = make_paid_signup(slug="falla-pago", status=Signup.Status.FAILED)  # failed by the payment handler, not ours
    stuck_forever = make_paid_signup(slug="siempre-muere", provisioning_attempts=5, provisioning_started_at=now - timedelta(minutes=10))

    assert services.sweep_unprovisioned_signups() == 1
    assert queued == [str(old_failure.pk)]
    stuck_forever.refresh_from_db()
    assert stuck_forever.status == Signup.Status.FAILED and "Gave up after 5 attempts" in stuck_forever.error
    for signup in (fresh_failure, exhausted, payment_failed):
        signup.refresh_from_db()
        assert signup.status == Signup.Status.FAILED


@pytest.mark.django_db
def test_operator_retries_from_paid_and_failed(platform_client, password, monkeypatch, django_capture_on_commit_callbacks):
    left_paid = make_paid_signup(slug="quedo-pagada", paid_at=timezone.now())
    failed = make_paid_signup(slug="quedo-fallida")
    crash_once_at(monkeypatch, "site")
    with django_capture_on_commit_callbacks(execute=True):
        services.provision_signup(signup_id=str(failed.pk))
    failed.refresh_from_db()
    assert failed.status == Signup.Status.FAILED

    platform_client.post("/admin/login/", {"username": "operador@platform.example", "password": password})
    with django_capture_on_commit_callbacks(execute=True):
        response = platform_client.post(
            "/admin/tenants/signup/", {"action": "retry_provisioning", "_selected_action": [str(left_paid.pk), str(failed.pk)]}, follow=True
        )
    assert response.status_code == HTTPStatus.OK
    for signup in (left_paid, failed):
        signup.refresh_from_db()
        assert signup.status == Signup.Status.LIVE and Clinic.objects.filter(slug=signup.slug).count() == 1


@pytest.mark.django_db
def test_retry_refuses_an_unpaid_signup():
    from django.core.exceptions import ValidationError

    signup = make_paid_signup(status=Signup.Status.PENDING_PAYMENT)
    with pytest.raises(ValidationError):
        services.retry_provisioning(signup=signup)
    assert not Clinic.objects.filter(slug=signup.slug).exists()


@pytest.mark.django_db
def test_a_signup_never_takes_over_another_clinics_address(clinic_a, django_capture_on_commit_callbacks):
    """An expired signup paid late after its address went to another clinic fails visibly
    instead of making its payer an admin of that clinic."""
    signup = make_paid_signup(slug=clinic_a.slug)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.provision_signup(signup_id=str(signup.pk)) is None
    signup.refresh_from_db()
    assert signup.status == Signup.Status.FAILED and "taken by another clinic" in signup.error
    with clinic_context(clinic_a):
        assert not get_user_model().objects.filter(email=EMAIL).exists()
    assert not mail.outbox


@pytest.mark.django_db
def test_expired_signup_paid_late_is_provisioned(platform_client, django_capture_on_commit_callbacks):
    """The hold ran out while the bank was still answering: the address is released, the
    payment arrives late, and the clinic is still made (or, when the address was taken
    meanwhile, the signup fails visibly: the test above). record_signup_payment (billing
    area) moves the expired signup to paid and queues provisioning; the queued job is
    lost here on purpose, so the sweep is what finishes it."""
    signup = make_paid_signup(status=Signup.Status.PENDING_PAYMENT, paid_at=None)
    Signup.objects.filter(pk=signup.pk).update(created=timezone.now() - timedelta(minutes=31))
    assert services.expire_stale_signups() == 1
    signup.refresh_from_db()
    assert signup.status == Signup.Status.EXPIRED
    state = platform_client.get(f"/alta/{signup.pk}/estado/").json()
    assert state["status"] == "pending_payment"  # a charge was made: the page waits for it, not "expired"

    Signup.objects.filter(pk=signup.pk).update(status=Signup.Status.PAID, paid_at=timezone.now() - timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_unprovisioned_signups() == 1
    assert_one_live_clinic(signup)
    assert platform_client.get(f"/alta/{signup.pk}/estado/").json()["status"] == "live"


def test_two_provisioning_jobs_make_one_clinic(django_db_blocker):
    """Two workers pick the same signup at once (a redelivered job and the sweep): separate
    threads and connections, real commits; one makes the clinic, the other steps aside."""
    slug = f"carrera-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        with public_context():
            signup = make_paid_signup(slug=slug)
        barrier, results, errors = threading.Barrier(2), [], []

        def job():
            try:
                barrier.wait()
                results.append(services.provision_signup(signup_id=str(signup.pk)))
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=job) for _ in range(2)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert errors == []
            assert len(results) == 2 and sum(1 for clinic in results if clinic is not None) >= 1
            connection.set_schema_to_public()
            assert_one_live_clinic(signup)
        finally:
            connection.set_schema_to_public()
            Payment.objects.filter(signup__slug=slug).delete()
            Subscription.objects.filter(clinic__slug=slug).delete()
            clinics = list(Clinic.objects.filter(slug=slug))
            Signup.objects.filter(slug=slug).delete()
            for clinic in clinics:
                clinic.delete(force_drop=True)
