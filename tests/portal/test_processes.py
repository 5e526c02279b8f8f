"""Issue 8, item 16: the processes that run the platform.

- `make dev`'s server does not run out of database connections under parallel clients;
- the Procfile's processes run with the production settings even when
  DJANGO_SETTINGS_MODULE is unset;
- `make test` installs chromium when it can, and otherwise says how;
- `make dev` prints the URLs and logins once the server answers.
"""

import http.client
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def test_parallel_keep_alive_clients_do_not_hold_database_connections(django_db_setup, django_db_blocker):
    """runserver answers each client socket in its own thread and keeps it for HTTP/1.1
    keep-alive; with persistent connections (CONN_MAX_AGE > 0) every such thread held
    a PostgreSQL connection, and three browsers exhausted the embedded server's 100
    (STACK-NOTES). The same threaded server as runserver's, twelve kept-alive clients."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    clients = 12
    with django_db_blocker.unblock():
        before = other_connections()
        thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        def browse(_):
            client = http.client.HTTPConnection("127.0.0.1", thread.port, timeout=30)
            for path in ("/", "/precios/"):
                client.request("GET", path, headers={"Host": f"{settings.PLATFORM_HOST}:{thread.port}", "Connection": "keep-alive"})
                response = client.getresponse()
                response.read()
                assert response.status == 200
            return client  # left open, as a browser keeps it

        sockets = []
        try:
            with ThreadPoolExecutor(max_workers=clients) as pool:
                sockets = list(pool.map(browse, range(clients)))
            held = other_connections() - before
        finally:
            for client in sockets:
                client.close()
            thread.terminate()
    assert held <= 2, f"{held} database connections held by {clients} idle clients"


def test_dev_settings_do_not_keep_connections(monkeypatch):
    """Checked in a fresh interpreter: dev.py itself, not the test settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONN_MAX_AGE", "DJANGO_SETTINGS_MODULE")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.dev"
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    assert out.stdout.strip() == "0"


def procfile() -> dict[str, str]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


@pytest.mark.parametrize("process", ["web", "worker", "release"])
def test_each_procfile_process_uses_production_settings_when_unset(process, tmp_path):
    """Run each Procfile line through the shell with DJANGO_SETTINGS_MODULE unset, with
    `python`/`gunicorn` replaced by a probe that prints the settings module each Django
    command would load (manage.py's and wsgi.py's own defaults included)."""
    command = procfile()[process]
    probe = tmp_path
    for name, entry in (("python", "manage.py"), ("gunicorn", "portal/wsgi.py")):
        script = probe / name
        script.write_text(
            f"#!{sys.executable}\n"
            "import os, re\n"
            "module = os.environ.get('DJANGO_SETTINGS_MODULE')\n"
            "if not module:  # what the entry point itself falls back to\n"
            f"    source = open({str(ROOT / entry)!r}).read()\n"
            "    module = re.search(r'setdefault\\(\"DJANGO_SETTINGS_MODULE\", \"([^\"]+)\"\\)', source).group(1)\n"
            "print(module)\n"
        )
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PATH"] = f"{probe}:{env['PATH']}"
    out = subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    modules = out.stdout.split()
    assert modules and set(modules) == {"portal.settings.production"}, (process, modules)


def test_wsgi_and_asgi_default_to_production():
    for entry in ("portal/wsgi.py", "portal/asgi.py"):
        assert re.search(r'setdefault\("DJANGO_SETTINGS_MODULE", "portal\.settings\.production"\)', (ROOT / entry).read_text()), entry


def make_dry_run(target: str, **env_overrides) -> str:
    env = {**os.environ, **env_overrides}
    return subprocess.run(["make", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True).stdout


def test_make_test_installs_chromium_or_says_how(tmp_path):
    """The browser step is a script: run it with no chromium on PATH, as a non-root user
    (no apt-get possible): it explains how and exits non-zero, before pytest starts."""
    script = ROOT / ".ci" / "ensure-chromium"
    assert script.exists()
    assert "ensure-chromium" in make_dry_run("test")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for tool, body in (("id", "echo 1000"), ("sudo", "exit 1"), ("apt-get", "echo apt-get ran; exit 3")):  # not root, no sudo
        (fake_bin / tool).write_text(f"#!/bin/sh\n{body}\n")
        (fake_bin / tool).chmod(0o755)
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin", "CHROMIUM": str(tmp_path / "no-chromium")}
    out = subprocess.run(["sh", str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    message = out.stdout + out.stderr
    assert "apt-get install" in message and "chromium" in message and "apt-get ran" not in message
    assert "BROWSER=no" in message  # and how to run everything else meanwhile


def test_make_test_finds_an_installed_chromium(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    out = subprocess.run(["sh", str(ROOT / ".ci" / "ensure-chromium")], cwd=ROOT, env={**os.environ, "CHROMIUM": str(fake)}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_ci_runs_make_test():
    text = (ROOT / ".ci" / "run").read_text()
    assert "make test" in text


def test_make_dev_prints_the_logins_once_the_server_answers():
    """`make dev` starts the server, waits until it answers, then prints the banner (URLs
    and demo logins) after the seeding's log lines."""
    run = make_dry_run("run")
    assert "portal.devbanner" in run
    banner_line = next(line for line in run.splitlines() if "portal.devbanner" in line)
    assert "--wait" in banner_line


def test_the_banner_waits_for_the_server_then_prints_the_logins(tmp_path):
    import socket
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    banner = tmp_path / "demo-logins.txt"
    banner.write_text("Platform      http://localhost:8000/\n  operators   operador@platform.example\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.devbanner", "--wait", f"http://127.0.0.1:{port}/", "--timeout", "30", str(banner)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(1.5)
        assert process.poll() is None, "printed before the server answered"

        class NotFound(BaseHTTPRequestHandler):
            def do_GET(self):  # any answer counts, even an error page
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", port), NotFound)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        out, err = process.communicate(timeout=30)
        server.shutdown()
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "operador@platform.example" in out and f"Ready at http://127.0.0.1:{port}/" in out
