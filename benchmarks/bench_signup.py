"""Signup benchmark: from the payment-succeeded webhook arriving to the new clinic's
home page answering 200.

    .venv/bin/python benchmarks/bench_signup.py [--signups 10] [--clinics 100] [--baseline-runs 1]

A real django-q2 worker (``manage.py qcluster``, ORM broker) processes the webhook
and the provisioning job, as in production; payments go through localstripe. Each
signup: form → card saved (the SetupIntent confirmed as Stripe.js would) → first
period charged → signed webhook POSTed → poll the clinic's home page until 200.
Measured with the clinics already in the dev database, then again after topping
them up to ``--clinics``. Baseline in the same run: creating a clinic schema by
running every migration. Everything it creates is dropped at the end (--keep to
keep the extra clinics).
"""

import argparse
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
os.environ.setdefault("LOCALSTRIPE_PORT", "8422")  # not make dev's 8420 nor the tests' 8421

import django  # noqa: E402

django.setup()
import logging  # noqa: E402

logging.getLogger("django.request").setLevel(logging.ERROR)  # polling a not-yet-live site logs 404s

import stripe  # noqa: E402  (plays the browser's part: Stripe.js confirming the SetupIntent)
from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from billing.models import Payment, StripeEvent, Subscription  # noqa: E402
from portal import devstripe  # noqa: E402
from portal.tenancy import public_context  # noqa: E402
from tenants.forms import SignupForm  # noqa: E402
from tenants.models import Clinic, Plan, Signup  # noqa: E402
from tenants.services import create_clinic, ensure_platform, pay_signup, prepare_signup_payment, start_signup  # noqa: E402


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):6.3f} s   p95 {p95:6.3f} s   (n={len(ordered)})"


def signed_post(client, event):
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    digest = hmac.new(settings.STRIPE_WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    response = client.post("/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=f"t={timestamp},v1={digest}")
    assert response.status_code == 200, response.content


def one_signup(platform, slug):
    form = SignupForm(data={
        "clinic_name": f"Bench {slug}", "slug": slug, "contact_name": "Bench", "email": f"admin@{slug}.example", "phone": "+34 600 000 000",
        "country": "ES", "time_zone": "Europe/Madrid", "plan": Plan.objects.get(code="mensual").pk, "accept_terms": "on",
    })
    assert form.is_valid(), form.errors
    signup = start_signup(form=form)
    secret = prepare_signup_payment(signup=signup)
    card = stripe.PaymentMethod.create(type="card", card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"})
    setup_intent = stripe.SetupIntent.confirm(secret.split("_secret_")[0], payment_method=card.id).id
    charge = pay_signup(signup=signup, setup_intent=setup_intent)
    event = {"id": f"evt_bench_{uuid.uuid4().hex}", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
             "data": {"object": stripe.PaymentIntent.retrieve(charge.id).to_dict()}}
    site = Client(HTTP_HOST=f"{slug}.{settings.PLATFORM_HOST}")
    started = time.perf_counter()
    signed_post(platform, event)  # the webhook arrives
    deadline = started + 60
    while site.get("/").status_code != 200:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{slug} not live after 60 s: {Signup.objects.get(slug=slug).error[-500:]}")
        time.sleep(0.02)
    return time.perf_counter() - started


def cleanup(slugs):
    with public_context():
        Payment.objects.filter(signup__slug__in=slugs).delete()
        Payment.objects.filter(clinic__slug__in=slugs).delete()
        Subscription.objects.filter(clinic__slug__in=slugs).delete()
        Signup.objects.filter(slug__in=slugs).delete()
        StripeEvent.objects.filter(id__startswith="evt_bench_").delete()
        for clinic in Clinic.objects.filter(slug__in=slugs):
            clinic.delete(force_drop=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signups", type=int, default=10)
    parser.add_argument("--clinics", type=int, default=100, help="clinics present in the second round")
    parser.add_argument("--baseline-runs", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the filler clinics")
    parser.add_argument("--verbose", action="store_true", help="print every signup's time")
    args = parser.parse_args()

    ensure_platform()
    stripe_port = int(settings.STRIPE_API_BASE.rsplit(":", 1)[1])
    localstripe = devstripe.start(stripe_port)
    stripe.api_key, stripe.api_base = settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE
    worker = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    platform = Client(HTTP_HOST=settings.PLATFORM_HOST)
    run = uuid.uuid4().hex[:6]
    created, fillers = [], []
    try:
        time.sleep(2)  # the worker's start-up is not part of any signup
        rounds = []
        for label in ("present", "topped up"):
            if label == "topped up":
                missing = args.clinics - Clinic.objects.clinics().count()
                print(f"  (creating {max(missing, 0)} filler clinics…)", flush=True)
                with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                    for i in range(max(missing, 0)):
                        slug = f"fill-{run}-{i}"
                        fillers.append(slug)
                        create_clinic(name=slug, slug=slug, admin_email=f"a@{slug}.example")
            count = Clinic.objects.clinics().count()
            samples = []
            for i in range(args.signups):
                slug = f"bench-{run}-{len(created)}"
                created.append(slug)
                samples.append(one_signup(platform, slug))
                if args.verbose:
                    print(f"    {slug}: {samples[-1]:.3f} s", flush=True)
            rounds.append((count, samples))

        baseline = []
        with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False, TENANT_BASE_SCHEMA=None), public_context():
            for i in range(args.baseline_runs):
                slug = f"bench-{run}-full-{i}"
                created.append(slug)
                started = time.perf_counter()
                Clinic(name=slug, slug=slug, schema_name=Clinic.schema_for_slug(slug)).save(verbosity=0)
                baseline.append(time.perf_counter() - started)

        print("Webhook received → new clinic's home page answers 200 (real qcluster worker, ORM broker)")
        for count, samples in rounds:
            print(f"  with {count:>3} clinics present           {summary(samples)}   target: p95 <= 1.5 s")
        print(f"  baseline: schema by all migrations  {summary(baseline)}   (schema only: no worker, no site)")
    finally:
        worker.terminate()
        worker.wait(20)
        cleanup(created + ([] if args.keep else fillers))
        if localstripe:
            localstripe.terminate()


if __name__ == "__main__":
    main()
