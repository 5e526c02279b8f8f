"""localstripe for dev and tests when ``STRIPE_SECRET_KEY`` is unset.

localstripe (a dev dependency) is a stateful Stripe emulator. It is started as its
own process, bound to loopback, and told where to deliver signed webhooks; the
product talks to it only over HTTP, exactly as it talks to Stripe.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.request

# localstripe's own start() listens on every interface; this binds loopback only.
SERVER = (
    "import sys, logging; from aiohttp import web; from localstripe.server import app; "
    "logging.basicConfig(level=logging.WARNING); "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


def is_up(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start(port: int, *, log=subprocess.DEVNULL) -> subprocess.Popen | None:
    """Start localstripe on 127.0.0.1:port unless something already listens there.

    Returns the process it started (None when one was already running). Its state
    lives only in memory: every start is from scratch.
    """
    if is_up(port):
        return None
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdout=log, stderr=log)
    deadline = time.monotonic() + 20
    while not is_up(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"localstripe did not start on port {port}")
        time.sleep(0.1)
    return process


def register_webhook(port: int, *, url: str, secret: str, name: str = "portal") -> None:
    """Ask localstripe to deliver every event to ``url``, signed with ``secret``."""
    data = json.dumps({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_config/webhooks/{name}", data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()


def main(argv=None) -> int:
    """``python -m portal.devstripe``: run localstripe for ``make dev`` until interrupted.

    Reads the port, webhook URL and signing secret from the dev settings, so the
    server and the product always agree.
    """
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    import django

    django.setup()
    from django.conf import settings

    if not settings.STRIPE_API_BASE.startswith("http://127.0.0.1"):
        sys.stdout.write("STRIPE_SECRET_KEY is set: using Stripe, not localstripe.\n")
        return 0
    port = int(settings.STRIPE_API_BASE.rsplit(":", 1)[1])
    process = start(port, log=None)
    url = f"http://{settings.PLATFORM_DOMAIN}/stripe/webhook/"
    register_webhook(port, url=url, secret=settings.STRIPE_WEBHOOK_SECRET)
    sys.stdout.write(f"localstripe on http://127.0.0.1:{port} (test card 4242 4242 4242 4242), webhooks to {url}\n")
    sys.stdout.flush()
    if process is None:
        return 0
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
