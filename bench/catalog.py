"""Catalog API throughput under gunicorn, side by side with a bare Flask endpoint (the reference peer).

    .venv/bin/python bench/catalog.py [--seconds 10] [--products 10000] [--connections 16]

Builds a throw-away instance (SQLite, demo commune grown to --products products), then for each target
starts gunicorn with 2 sync workers on a free 127.0.0.1 port, loads it with wrk (Debian package `wrk`;
a bounded Python client is used when wrk is missing, and says so), stops it, and prints requests per
second for: the bare endpoint, the catalog API (a page of 20 products, a search) and the public HTML catalog
page phones load, with choso's catalog response cache on and off. Targets (issue 15.10): with the cache, at
least 60% of the bare endpoint's rate; without it, at least 20%.

Measured 2026-12-05 (second session) on a 2-core machine of this kind, whose bare Flask endpoint ran at only
2,460-2,980 req/s (10,000 products, wrk -c16, 10 s each), four runs after this round's changes:
  catalog API, page of 20, cached          88-100% of bare (target 60%: met)
  catalog page (HTML), cached              87-101% (met)
  catalog API, page of 20, cache off       22-25% of bare, 584-667 req/s (target 20%: met in every run)
  catalog page (HTML), cache off           18-25% of bare, 447-637 req/s (met in three runs of four; this
                                           page varies most between runs)
Earlier the same day on this machine, before the round: API cache off 19%, HTML cache off 10%. In-process
(cProfile-free, min of 5 batches): API 2.8 -> 1.95 ms a request, HTML 5.5 -> 2.1 ms. What changed: the count
a page shows is kept beside the commune's catalog version (catalog_versions.on_sale, counted again by every
change, read with the version); catalog cards come from one query with their cover and are written by
core.web.cards, not a Jinja macro with url_for per card; translations are looked up once per request and
language; the commune heading is one plain row. What is left of an uncached request: Flask with its
extensions about 0.3 ms; the page of rows 0.3 ms (HTML) to 0.65 ms (API, with photos); JSON dump and encoding
0.5 ms, or Jinja's layout 0.65 ms and the cards 0.5 ms.
Before (2026-12-05, first session, a machine whose bare endpoint ran at 5,663-6,157 req/s): cached 85-91%,
uncached API 12-13%, HTML 8%; and 2026-12-04: cached 28-37%, uncached 5-7%.
Reference on a 2-core machine of this kind: bare Flask under gunicorn with 2 sync workers, wrk with 16
connections, about 6,000 requests/s (shared/REFERENCES.md).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(instance: Path, products: int) -> dict[str, str]:
    env = {**os.environ, "CHOSO_INSTANCE_PATH": str(instance), "CHOSO_SECRET_KEY": "bench-only"}
    env.pop("DATABASE_URL", None)
    print(f"preparing a demo instance in {instance} …", file=sys.stderr)
    subprocess.run([str(BIN / "choso"), "demo"], env=env, check=True, capture_output=True)
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "grow_catalog.py"), str(products)], env=env,
                         check=True, capture_output=True, text=True, cwd=ROOT)
    print(f"catalog holds {out.stdout.strip()} products", file=sys.stderr)
    return env


def serve(app_spec: str, env: dict[str, str], port: int) -> subprocess.Popen:
    # choso logs every request as in production (one JSON line each); the lines go nowhere, the work stays
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
                             "--log-level", "warning", app_spec], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)  # noqa: S310 (loopback only)
            return proc
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, "code", None):
                return proc
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn did not start for {app_spec}")


def load(url: str, seconds: int, connections: int) -> tuple[float, str]:
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url],
                             capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            raise RuntimeError(f"{errors.group(1)} error responses from {url}")
        return rate, "wrk"
    deadline = time.time() + seconds

    def worker(_):
        n = 0
        while time.time() < deadline:
            with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (loopback only)
                r.read()
            n += 1
        return n

    with ThreadPoolExecutor(connections) as pool:
        total = sum(pool.map(worker, range(connections)))
    return total / seconds, "python client (install wrk for a fair figure)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keep", metavar="DIR", help="build the instance in DIR and keep it (profiling)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="choso-bench-") as tmp:
        instance = Path(args.keep) if args.keep else Path(tmp) / "instance"
        env = prepare(instance, args.products) if not (instance / "choso.sqlite3").exists() else \
            {**os.environ, "CHOSO_INSTANCE_PATH": str(instance), "CHOSO_SECRET_KEY": "bench-only"}
        # (label, app, path, catalog response cache on?, share of the bare endpoint's rate to reach)
        api = "/api/v1/products?commune=00583&per_page=20"
        targets = [
            ("bare Flask endpoint (reference peer)", "bench.bare_app:app", "/bare", True, None),
            ("bare Flask endpoint, 17 KB answer", "bench.bare_app:app", "/bare-17k", True, None),
            ("catalog API, page of 20", "wsgi:app", api, True, 0.60),
            ("catalog API, search 'nuoc mam'", "wsgi:app", api + "&q=nuoc+mam", True, 0.60),
            ("catalog API, page of 20, cache off", "wsgi:app", api, False, 0.20),
            ("catalog page (HTML), first page", "wsgi:app", "/c/00583", True, 0.60),
            ("catalog page (HTML), cache off", "wsgi:app", "/c/00583", False, 0.20),
        ]
        results = {}
        for label, spec, path, cached, _goal in targets:
            port = free_port()
            proc = serve(spec, {**env, "CHOSO_CATALOG_CACHE_SIZE": "256" if cached else "0"}, port)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read()  # noqa: S310
                rate, tool = load(f"http://127.0.0.1:{port}{path}", args.seconds, args.connections)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            results[label] = rate
            print(f"{label:40} {rate:10,.0f} req/s   ({tool})")
        bare, bare_17k = results[targets[0][0]], results[targets[1][0]]
        for label, _spec, _path, _cached, goal in targets[2:]:
            ratio = results[label] / bare
            verdict = "meets" if ratio >= goal else "misses"
            print(f"{label:40} {ratio:10.0%} of bare  ({verdict} the {goal:.0%} target)"
                  f"  {results[label] / bare_17k:5.0%} of bare with an answer as big")
        print("reference: bare Flask, gunicorn 2 sync workers, wrk -c16 on this kind of machine ≈ 6,000 req/s")


if __name__ == "__main__":
    main()
