"""The embedded PostgreSQL used by dev and tests when ``DATABASE_URL`` is unset.

pgserver ships a PostgreSQL 16 server as a wheel. The cluster lives under
``.data/pg`` in the checkout; when that path is too deep for a unix socket
(about 100 characters, STACK-NOTES "Embedded PostgreSQL"), it lives under a short
per-checkout directory in /tmp and ``.data/pg`` records where.

The server keeps running after the process that started it exits, and a later
call reuses it, so starting it from settings costs a few milliseconds.
"""

import hashlib
import os
from pathlib import Path

SOCKET_PATH_LIMIT = 90
DATABASE_NAME = "portal"


def cluster_dir(base_dir: Path) -> Path:
    preferred = base_dir / ".data" / "pg"
    # pgserver puts the socket file (".s.PGSQL.5432") inside the cluster dir.
    if len(str(preferred / ".s.PGSQL.5432")) <= SOCKET_PATH_LIMIT:
        return preferred
    digest = hashlib.sha1(str(base_dir).encode()).hexdigest()[:10]
    return Path("/tmp") / f"portal-pg-{digest}"


def database_url(base_dir: Path) -> str:
    """Start (or reuse) the embedded server and return a URL for the project database."""
    import warnings

    # pgserver asks platformdirs for XDG_RUNTIME_DIR, unset on servers and in CI.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver  # dev dependency: imported only when no DATABASE_URL is given

    directory = cluster_dir(base_dir)
    directory.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(directory), cleanup_mode=None)
    if not server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"
    ).strip().endswith("(1 row)"):
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return f"postgres://postgres@/{DATABASE_NAME}?host={directory}"


def stop(base_dir: Path) -> bool:
    """Cleanly stop the embedded server if it runs (``make stop``)."""
    pidfile = cluster_dir(base_dir) / "postmaster.pid"
    if not pidfile.exists():
        return False
    pid = int(pidfile.read_text().splitlines()[0])
    try:
        os.kill(pid, 2)  # SIGINT: PostgreSQL's "fast" clean shutdown
    except ProcessLookupError:
        return False
    return True
