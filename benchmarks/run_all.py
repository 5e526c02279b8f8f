"""``make bench``: every benchmark under benchmarks/, one report.

    .venv/bin/python benchmarks/run_all.py [--http-args "--seconds 8"] [--skip-http] [--only-http]

Runs bench_http.py (clinic pages over real HTTP, in a database of its own: its table,
each figure beside its baselines) and then the in-process benchmarks as before
(provisioning, booking, agenda, records, invoices, balance: dev database, each drops
what it creates). Prints everything and writes it to benchmarks/results.md with the
machine, the date and the commit.
"""

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
IN_PROCESS = ["bench_foundation.py", "bench_booking.py", "bench_agenda.py", "bench_records.py", "bench_invoices.py", "bench_balance.py", "bench_reports.py"]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return f"{cpu}, {os.cpu_count()} cores, {int(memory) // 1024 // 1024 + 1} GB, {platform.system()} {platform.release()}, Python {platform.python_version()}; load before the run {load}"


def commit() -> str:
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return sha + (" (with uncommitted changes)" if dirty else "")


def run(script, args=()):
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(HERE / script), *args], cwd=ROOT, capture_output=True, text=True)
    output = result.stdout.rstrip()
    if result.returncode:
        output += f"\n\n(failed with exit code {result.returncode})\n{result.stderr[-2000:]}"
    print(output, flush=True)
    return output, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http-args", default="", help="passed to bench_http.py")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--only-http", action="store_true")
    args = parser.parse_args()
    header = f"Machine: {machine()}\nDate: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\nCommit: {commit()}\n"
    print(header, flush=True)
    sections = []
    if not args.skip_http:
        output, seconds = run("bench_http.py", shlex.split(args.http_args))
        sections.append(f"## Clinic pages over HTTP ({seconds:.0f} s)\n\n{output}\n")
    if not args.only_http:
        for script in IN_PROCESS:
            print(f"\n== {script}", flush=True)
            output, seconds = run(script)
            sections.append(f"## {script} ({seconds:.0f} s)\n\n```\n{output}\n```\n")
    (HERE / "results.md").write_text("# Benchmark results (`make bench`)\n\n" + header.replace("\n", "  \n") + "\n" + "\n".join(sections))
    print(f"\nWritten to {(HERE / 'results.md').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
