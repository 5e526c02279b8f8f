"""What the request benchmarks share: one database connection for the whole run, and a
line of median, p95 and query count."""

import statistics
import time


def keep_one_connection():
    """Dev settings close the connection after each request, which would also hide the
    queries from a wrapper: keep one for the whole run."""
    from django.core import signals
    from django.db import close_old_connections, reset_queries

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.request_started.disconnect(reset_queries)


def summary(samples, queries=None):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    extra = f"   queries {queries:3d}" if queries is not None else ""
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms{extra}   (n={len(ordered)})"


def timed(fn, runs):
    """``fn`` once to warm, then ``runs`` times: the seconds each took."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples
