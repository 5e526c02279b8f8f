"""Clinic pages over real HTTP: gunicorn as the Procfile runs it, load from wrk.

    .venv/bin/python benchmarks/bench_http.py [--clinics 200] [--seconds 8] [--keep] [--study]

In a database of its own (``bench_portal`` on the embedded PostgreSQL, never the dev
database): one seeded demo clinic cloned into ``--clinics`` clinics, each with its own
host, site and brand name, and a signed-in patient session. Then gunicorn with the
Procfile's ``web`` command (production settings, DEBUG off) serves it, and Debian's
``wrk`` (a separate process, 8 connections, ``wrk_rotate.lua`` rotating Host headers)
measures requests/s, p50 and p99 of:

- a clinic's home page, service catalogue and team page, for one clinic and
  round-robin over all of them, anonymous (page cache on, and off as the baseline)
  and signed in; the platform landing page; the free-times JSON;
- a static file through whitenoise on the same server: the ceiling;
- the web workers' memory (RSS) after 10,000 uncached page requests over all clinics,
  against the same after one clinic (fresh servers, no ``--max-requests`` recycling).

``--study`` also compares gunicorn worker counts and ``--max-requests`` (the Procfile
choice). Prints a Markdown table; the database is dropped at the end (``--keep``
keeps it for the next run, which then skips the set-up).
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk_rotate.lua"
BENCH_DB = "bench_portal"
SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"
PASSWORD = "Bench-Password-2026"
CLIENTS = 8


# ---------------------------------------------------------------------------------------
# The bench database (embedded PostgreSQL, a database of its own)
# ---------------------------------------------------------------------------------------

def _server():
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    sys.path.insert(0, str(ROOT))
    from portal.devdb import cluster_dir

    directory = cluster_dir(ROOT)
    directory.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(str(directory), cleanup_mode=None), directory


def pgserver_bin() -> str:
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin")


def database_url() -> str:
    _pg, directory = _server()
    return f"postgres://postgres@/{BENCH_DB}?host={directory}"


def database_exists() -> bool:
    pg, _ = _server()
    return pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{BENCH_DB}';").strip().endswith("(1 row)")


def drop_database():
    pg, _ = _server()
    pg.psql(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE);")


def environment(**extra) -> dict:
    """What every process of the run sees: the bench database and production-like values."""
    env = os.environ.copy()
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DATABASE_URL=database_url(), SECRET_KEY=SECRET, PLATFORM_DOMAIN="localhost", LOG_LEVEL="WARNING",
        STRIPE_SECRET_KEY="sk_bench", STRIPE_PUBLISHABLE_KEY="pk_bench", STRIPE_WEBHOOK_SECRET="whsec_bench",
        PLATFORM_LEGAL_NAME="Bench S.L.", PLATFORM_TAX_ID="B87654323", PLATFORM_ADDRESS="Calle Bench 1, Madrid",
        PATH=f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}", PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def prepare(clinics: int, setup_file: Path):
    """Migrate the bench database and create the clinics (in subprocesses, dev settings)."""
    env = environment(DJANGO_SETTINGS_MODULE="portal.settings.dev")
    python = str(ROOT / ".venv" / "bin" / "python")
    pg, _ = _server()
    pg.psql(f"CREATE DATABASE {BENCH_DB};")
    started = time.perf_counter()
    for command in (["migrate_schemas", "--executor=multiprocessing", "-v0"], ["createcachetable"], ["setup_platform"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([python, __file__, "_clinics", str(clinics), str(setup_file)], cwd=ROOT, env=env, check=True)
    print(f"  (bench database ready in {time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)


def make_clinics(count: int, setup_file: Path):
    """Inside Django: one demo clinic seeded, with a signed-in patient session, then
    cloned (rows and all) ``count - 1`` times; each clone gets its host, site and name."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django_q.conf import Conf

    from clinic.models import Service
    from portal.tenancy import clinic_context, public_context
    from tenants.demo import DEMO_CLINICS, seed_clinic
    from tenants.models import Clinic, Domain
    from tenants.services import ensure_platform
    from theme.models import ServiceIndexPage, TeamPage

    Conf.SYNC = True
    ensure_platform()
    seed_clinic(DEMO_CLINICS[0], PASSWORD)
    with public_context():
        source = Clinic.objects.get(slug=DEMO_CLINICS[0]["slug"])
    with clinic_context(source):
        patient = get_user_model().objects.get(email=f"paciente@{source.slug}.example")
        session = SessionStore()
        session.update({SESSION_KEY: str(patient.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: patient.get_session_auth_hash()})
        session.create()
        paths = ["/", ServiceIndexPage.objects.live().first().url, TeamPage.objects.live().first().url]
        service = Service.objects.bookable_online().first().pk
    hosts = [source.primary_host]
    started = time.perf_counter()
    # django-tenants' clone function took 7-13 s per clone here, growing with the catalogue;
    # a pg_dump of the source schema (tables and rows), renamed and replayed by psql, under a second.
    database = connection.settings_dict
    socket_dir = str(_server()[1])
    tools = Path(pgserver_bin())
    dump = subprocess.run(
        [str(tools / "pg_dump"), "-h", socket_dir, "-U", database["USER"], "-n", source.schema_name, "--no-owner", "--no-privileges", database["NAME"]],
        check=True, capture_output=True, text=True,
    ).stdout
    batch = []
    for i in range(1, count):
        slug = f"bench{i:03d}"
        schema, host = Clinic.schema_for_slug(slug), f"{slug}.localhost"
        batch.append(dump.replace(source.schema_name, schema))
        batch.append(f"UPDATE {schema}.wagtailcore_site SET hostname = '{host}';\n"
                     f"UPDATE {schema}.theme_brandsettings SET display_name = 'Clínica Bench {i}';\n")
        with public_context():
            clinic = Clinic.objects.bulk_create([Clinic(
                name=f"Clínica Bench {i}", slug=slug, schema_name=schema, kind=Clinic.Kind.CLINIC,
                time_zone=source.time_zone, currency=source.currency, status=Clinic.Status.ACTIVE, paid_until=source.paid_until,
            )])[0]
            Domain.objects.bulk_create([Domain(domain=host, tenant=clinic, is_primary=True)])
        hosts.append(host)
        if len(batch) >= 20 or i == count - 1:
            subprocess.run([str(tools / "psql"), "-h", socket_dir, "-U", database["USER"], "-q", "-v", "ON_ERROR_STOP=1", "-d", database["NAME"]],
                           input="".join(batch), check=True, text=True, stdout=subprocess.DEVNULL)
            batch = []
    connection.set_schema_to_public()
    print(f"  ({count - 1} clones in {time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    setup_file.write_text(json.dumps({"hosts": hosts, "cookie": f"sessionid={session.session_key}", "paths": paths, "service": service}))


# ---------------------------------------------------------------------------------------
# gunicorn and wrk
# ---------------------------------------------------------------------------------------

def procfile_web() -> str:
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return line.removeprefix("web:").strip()


def without_max_requests(command: str) -> str:
    return re.sub(r"\s+--max-requests(-jitter)?\s+\d+", "", command)


class Server:
    """gunicorn started from ``command`` (the Procfile's by default) in its own process group."""

    def __init__(self, port, *, command=None, page_cache=True, workers=None):
        self.port = port
        extra = {"DJANGO_SETTINGS_MODULE": "portal.settings.production", "PORT": str(port)}
        if not page_cache:
            extra["PAGE_CACHE_SECONDS"] = "0"
        if workers:
            extra["WEB_CONCURRENCY"] = str(workers)
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            ["sh", "-c", command or procfile_web()], cwd=ROOT, env=environment(**extra),
            stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(port, "localhost", "/").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"gunicorn did not start: see {self.log.name}")
            time.sleep(0.3)

    def workers(self):
        import psutil

        # sh -c (the Procfile line) → gunicorn master → workers: only the last level.
        masters = [proc for proc in psutil.Process(self.process.pid).children() if "gunicorn" in " ".join(proc.cmdline())]
        return [worker for master in masters for worker in master.children()]

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def get(port, host, path, cookie=""):
    headers = {"Host": host, "X-Forwarded-Proto": "https", "Accept-Language": "es"}
    if cookie:
        headers["Cookie"] = cookie
    return urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers), timeout=30)


def hosts_file(hosts, cookie=""):
    handle = tempfile.NamedTemporaryFile("w", prefix="bench-hosts-", suffix=".txt", delete=False)
    handle.write("".join(f"{host}\t{cookie}\n" for host in hosts))
    handle.close()
    return handle.name


def wrk(port, hosts, paths, *, seconds):
    env = {**os.environ, "BENCH_HOSTS": hosts, "BENCH_PATHS": " ".join(paths)}
    result = subprocess.run(
        ["wrk", "-t1", f"-c{CLIENTS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True,
    )
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    return stats


def at_least(port, hosts, paths, requests):
    """wrk in 5-second rounds until ``requests`` answers (see wrk_rotate.lua: no limit
    inside wrk)."""
    done = 0
    while done < requests:
        done += wrk(port, hosts, paths, seconds=5)["requests"]
    return done


def measure(port, hosts, paths, seconds, warm=2):
    wrk(port, hosts, paths, seconds=warm)
    stats = wrk(port, hosts, paths, seconds=seconds)
    print(f"  {port} {paths[0][:40]} x{sum(1 for _ in open(hosts))}: {stats['rps']:,.0f}/s p99 {stats['p99_us'] / 1000:.1f} ms",
          file=sys.stderr, flush=True)
    return stats


def rss_mb(server):
    sizes = [proc.memory_info().rss / 2**20 for proc in server.workers()]
    return statistics.mean(sizes), len(sizes)


# ---------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------

def run(setup, seconds, port):
    hosts, cookie, (home, services, team) = setup["hosts"], setup["cookie"], setup["paths"]
    one_anon, all_anon = hosts_file(hosts[:1]), hosts_file(hosts)
    one_user, all_user = hosts_file(hosts[:1], cookie), hosts_file(hosts, cookie)
    landing = hosts_file(["localhost"])
    today = date.today() + timedelta(days=1)
    free_times = f"/reservar/huecos/?servicio={setup['service']}&profesional=any&desde={today}&hasta={today + timedelta(days=6)}"
    rows = []
    cached, uncached = Server(port), Server(port + 1, page_cache=False)
    try:
        page = get(port, hosts[0], home).read().decode()
        static = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
        # Every clinic's pages in the cache before the cached runs (the script visits
        # every host and path in turn).
        at_least(port, all_anon, [home, services, team], 3 * len(hosts) + CLIENTS)
        ceiling = measure(port, one_anon, [static], seconds)
        rows.append(("static file (whitenoise): the ceiling", 1, "anonymous", "-", ceiling, None))
        for name, path in (("home page", home), ("service catalogue", services), ("team page", team)):
            for count, anon, user in ((1, one_anon, one_user), (len(hosts), all_anon, all_user)):
                base = measure(port + 1, anon, [path], seconds)
                hit = measure(port, anon, [path], seconds)
                signed = measure(port, user, [path], seconds)
                rows.append((name, count, "anonymous", "on", hit, base))
                rows.append((name, count, "anonymous", "off (baseline)", base, None))
                rows.append((name, count, "signed in", "never", signed, None))
        rows.append(("platform landing page", "-", "anonymous", "-", measure(port, landing, ["/"], seconds), None))
        for count, anon in ((1, one_anon), (len(hosts), all_anon)):
            rows.append(("free-times JSON (7 days)", count, "anonymous", "-", measure(port, anon, [free_times], seconds), None))
    finally:
        cached.stop()
        uncached.stop()
    memory = {}
    for label, file in (("one clinic", one_anon), (f"{len(hosts)} clinics", all_anon)):
        server = Server(port + 2, command=without_max_requests(procfile_web()), page_cache=False)
        try:
            answered = at_least(port + 2, file, [home, services, team], 10_000)
            memory[label] = (*rss_mb(server), answered)
        finally:
            server.stop()
    return rows, memory, ceiling


def study(setup, seconds, port):
    """Worker count and --max-requests, on the home page over every clinic."""
    hosts, home = setup["hosts"], setup["paths"][0]
    all_anon = hosts_file(hosts)
    base = without_max_requests(procfile_web())
    recycling = base.replace("--worker-class sync", "--worker-class sync --max-requests 2000 --max-requests-jitter 200")
    rows = []
    for label, command, workers in (
        ("2 sync workers", base, 2), ("3 sync workers", base, 3), ("4 sync workers", base, 4),
        ("3 sync, --max-requests 2000 (jitter 200)", recycling, 3),
    ):
        for cache in (True, False):
            server = Server(port + 3, command=command, page_cache=cache, workers=workers)
            try:
                at_least(port + 3, all_anon, [home], len(hosts) + CLIENTS)
                rows.append((label, "on" if cache else "off", measure(port + 3, all_anon, [home], seconds * 2)))
            finally:
                server.stop()
    return rows


def ms(us):
    return f"{us / 1000:.1f}"


def report(rows, memory, ceiling, clinics):
    print("| Page | Clinics | Visitor | Page cache | req/s | p50 ms | p99 ms | vs static | vs cache off |")
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for name, count, visitor, cache, stats, base in rows:
        errors = f" ({stats['non_2xx']} non-2xx!)" if stats["non_2xx"] or stats["socket_errors"] else ""
        versus = f"{stats['rps'] / base['rps']:.1f}×" if base else ""
        print(f"| {name} | {count} | {visitor} | {cache} | {stats['rps']:,.0f}{errors} | {ms(stats['p50_us'])} | {ms(stats['p99_us'])} "
              f"| {stats['rps'] / ceiling['rps']:.0%} | {versus} |")
    one, many = memory["one clinic"], memory[f"{clinics} clinics"]
    print(f"\nWeb worker memory (RSS, mean of {one[1]} workers) after {min(one[2], many[2]):,}+ uncached page requests (home, catalogue, team): "
          f"one clinic {one[0]:.0f} MB, {clinics} clinics {many[0]:.0f} MB ({many[0] / one[0]:.0%} of one clinic; target <= 110 %)")


def report_study(rows):
    print("\n| gunicorn (home page, all clinics) | Page cache | req/s | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|")
    for label, cache, stats in rows:
        print(f"| {label} | {cache} | {stats['rps']:,.0f} | {ms(stats['p50_us'])} | {ms(stats['p99_us'])} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=8, help="measured seconds per row (after 2 s of warm-up)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "18460")), help="first of four ports used")
    parser.add_argument("--keep", action="store_true", help="keep the bench database for the next run")
    parser.add_argument("--study", action="store_true", help="also compare worker counts and --max-requests")
    parser.add_argument("--no-table", action="store_true", help="only the --study table")
    args = parser.parse_args()
    subprocess.run(["sh", str(ROOT / ".ci" / "ensure-wrk")], check=True)
    setup_file = ROOT / ".data" / "bench-http-setup.json"
    if not (database_exists() and setup_file.exists() and len(json.loads(setup_file.read_text())["hosts"]) == args.clinics):
        drop_database()
        prepare(args.clinics, setup_file)
    setup = json.loads(setup_file.read_text())
    # whitenoise serves the collected, hashed files, as after the Procfile's release step.
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                   env=environment(DJANGO_SETTINGS_MODULE="portal.settings.production"), check=True)
    try:
        print(f"Clinic pages over HTTP: the Procfile's gunicorn (`{procfile_web().split(' gunicorn ')[-1]}`), "
              f"wrk with {CLIENTS} connections from a separate process, {args.seconds} s per row\n")
        if not args.no_table:
            rows, memory, ceiling = run(setup, args.seconds, args.port)
            report(rows, memory, ceiling, args.clinics)
        if args.study:
            report_study(study(setup, args.seconds, args.port))
    finally:
        if not args.keep:
            drop_database()
            setup_file.unlink(missing_ok=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "_clinics":
        make_clinics(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
