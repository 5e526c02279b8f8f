"""Where an uncached clinic page's time goes: cProfile's top entries and its queries.

    .venv/bin/python benchmarks/profile_page.py [--path /] [--host sonrisa.localhost] [--requests 300] [--top 25]

Runs in-process with production settings against the database in DATABASE_URL (give
it bench_http.py's: run that with --keep first), page cache off, the host cache on,
alternating between two clinics when ``--other-host`` is given (the per-request clinic
switch that round-robin traffic pays).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
os.environ["PAGE_CACHE_SECONDS"] = "0"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", default="/")
    parser.add_argument("--host", default="sonrisa.localhost")
    parser.add_argument("--other-host", default="", help="alternate with this clinic (the clinic switch)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    clients = [Client(HTTP_HOST=h, HTTP_X_FORWARDED_PROTO="https", HTTP_ACCEPT_LANGUAGE="es") for h in filter(None, [args.host, args.other_host])]
    for client in clients:
        for _ in range(3):
            assert client.get(args.path).status_code == 200
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    clients[-1].get(args.path)
    with connection.execute_wrapper(record):
        clients[0].get(args.path)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for i in range(args.requests):
        clients[i % len(clients)].get(args.path)
    profile.disable()
    elapsed = (time.perf_counter() - started) / args.requests
    print(f"{args.path} on {args.host}{' alternating with ' + args.other_host if args.other_host else ''}: "
          f"{elapsed * 1000:.2f} ms per request under the profiler, {len(queries)} queries")
    for sql in queries:
        print("   ", sql[:200])
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
