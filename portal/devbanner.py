"""`make dev`: print the URLs and demo logins once the web server answers.

`seed_demo` writes them to a file while its log lines scroll by; the server, the
worker and localstripe then start and log too. This waits until the web server
answers (any HTTP status counts), then prints the file, so the logins are the last
thing on the screen and every URL in them already works (issue 8, item 16).

    python -m portal.devbanner --wait http://localhost:8000/ .data/demo-logins.txt
"""

import argparse
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def server_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True  # it answered, even if with an error page
    except (OSError, ValueError):
        return False
    return True


def wait_until_up(url: str, *, timeout: float, interval: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server_answers(url):
            return True
        time.sleep(interval)
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", required=True, metavar="URL", help="print once this URL answers")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait (default 300)")
    parser.add_argument("banner", nargs="?", help="file with the URLs and logins (seed_demo's output)")
    args = parser.parse_args(argv)
    if not wait_until_up(args.wait, timeout=args.timeout):
        sys.stderr.write(f"\nThe web server did not answer at {args.wait} within {args.timeout:.0f} s.\n")
        return 1
    banner = Path(args.banner).read_text().strip() if args.banner and Path(args.banner).exists() else ""
    rule = "=" * 72
    sys.stdout.write(f"\n{rule}\nReady at {args.wait}\n\n{banner or 'No demo data: run `make demo` for the demo clinics and logins.'}\n{rule}\n\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
