"""Foundation benchmark: creating a clinic, and the clinic home page.

    make bench            (or: .venv/bin/python benchmarks/bench_foundation.py [--runs 7] [--baseline-runs 2])

Prints each measurement beside a baseline measured in the same run:
- create_clinic (clone the template + site, brand, admin user, groups) vs creating
  the schema by running every migration (the path cloning replaces);
- queries and time of a clinic's home page, with and without the per-process host cache.

Uses the dev database (embedded PostgreSQL unless DATABASE_URL is set); every
clinic it creates is dropped again at the end.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django_q.conf import Conf  # noqa: E402

from portal.middleware import forget_hosts  # noqa: E402
from portal.tenancy import public_context  # noqa: E402
from tenants.models import Clinic  # noqa: E402
from tenants.services import create_clinic, ensure_platform  # noqa: E402

# Jobs (the set-password e-mail) run inline to an in-memory mailbox: nothing is left
# queued for clinics this script drops.
Conf.SYNC = True


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):6.3f} s   p95 {p95:6.3f} s   (n={len(ordered)})"


def drop(slugs):
    with public_context():
        for clinic in Clinic.objects.filter(slug__in=slugs):
            clinic.delete(force_drop=True)


def bench_create_clinic(runs, baseline_runs):
    stamp = int(time.time())
    clone_slugs = [f"bench-{stamp}-{i}" for i in range(runs)]
    full_slugs = [f"bench-{stamp}-full-{i}" for i in range(baseline_runs)]
    clone, full = [], []
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for slug in clone_slugs:
                started = time.perf_counter()
                create_clinic(name=f"Bench {slug}", slug=slug, admin_email=f"admin@{slug}.example")
                clone.append(time.perf_counter() - started)
        # Baseline: the schema alone, by running every migration (no site set-up at all).
        with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False, TENANT_BASE_SCHEMA=None), public_context():
            for slug in full_slugs:
                started = time.perf_counter()
                Clinic(name=slug, slug=slug, schema_name=Clinic.schema_for_slug(slug)).save(verbosity=0)
                full.append(time.perf_counter() - started)
    finally:
        drop(clone_slugs + full_slugs)
    print("Creating a clinic")
    print(f"  create_clinic, cloned template        {summary(clone)}   target: median <= 1.5 s")
    print(f"  baseline: schema by all migrations    {summary(full)}")
    print(f"  speed-up (medians)                    {statistics.median(full) / statistics.median(clone):.1f}x")


def count_queries(client, path="/"):
    """Statements sent to PostgreSQL for one request (SET search_path included)."""
    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        assert client.get(path).status_code == 200
    return count


def bench_home_page(requests):
    with public_context():
        slugs = list(Clinic.objects.clinics().order_by("slug").values_list("slug", flat=True)[:2])
    if len(slugs) < 2:
        print("Home page: needs two clinics (run `make demo`)")
        return
    hosts = [f"{slug}.localhost" for slug in slugs]
    clients = [Client(HTTP_HOST=h) for h in hosts]
    print(f"\nClinic home page ({hosts[0]}), in-process test client")
    for ttl, label in ((30, "host cache on (default)"), (0, "baseline: host looked up per request")):
        with override_settings(TENANT_HOST_CACHE_SECONDS=ttl):
            forget_hosts()
            clients[0].get("/")
            clients[1].get("/")
            after_switch, same_clinic = count_queries(clients[0]), count_queries(clients[0])
            started = time.perf_counter()
            for _ in range(requests):
                clients[0].get("/")
            same = (time.perf_counter() - started) / requests
            started = time.perf_counter()
            for i in range(requests):
                clients[i % 2].get("/")
            alternating = (time.perf_counter() - started) / requests
        print(
            f"  {label:<38} queries: {same_clinic:>2} same clinic, {after_switch:>2} after another clinic"
            f"   time: {same * 1000:5.1f} ms same clinic, {alternating * 1000:5.1f} ms alternating   target: <= 10 queries"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="clinics created by cloning (default 7)")
    parser.add_argument("--baseline-runs", type=int, default=2, help="schemas created by full migrations (about 10 s each)")
    parser.add_argument("--requests", type=int, default=200, help="home-page requests per timing")
    args = parser.parse_args()
    ensure_platform()
    bench_create_clinic(args.runs, args.baseline_runs)
    bench_home_page(args.requests)


if __name__ == "__main__":
    main()
