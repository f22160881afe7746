"""Publishing throughput: N products to both built-in marketplaces with 4 worker processes.

    .venv/bin/python bench/publish.py [--products 2000] [--workers 4] [--backends embedded,redis]
                                      [--redis redis://127.0.0.1:6379/14] [--database URL]

For each backend: a fresh instance (SQLite unless --database names PostgreSQL) with the demo commune grown
to N products, both sandboxes as separate processes (`choso sandbox`), W `choso worker` processes, then every
product is "tapped" (published to Postmart and Voso) in one go. Prints products per second (from the first
tap to the last listing live) and the p50/p95 time from tap to live. Products a marketplace refuses up front
(tourism on Postmart) are counted as refused, not published.
Reference peer: none published for marketplace publishing; compare the two backends side by side, and the
figures recorded in the CHANGELOG for earlier runs on this kind of machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.catalog import free_port  # noqa: E402


def wait_for_port(port: int, timeout: float = 20) -> None:
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def fresh_database(url: str, name: str) -> str:
    """A new, empty PostgreSQL database beside the one named by `url` (dropped first if it exists)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def start_sandboxes(env: dict) -> tuple[dict[str, int], list[subprocess.Popen]]:
    """Both built-in marketplaces' sandboxes as processes on free 127.0.0.1 ports."""
    ports, procs = {}, []
    for name in ("postmart", "voso"):
        ports[name] = free_port()
        procs.append(subprocess.Popen([str(BIN / "choso"), "sandbox", name, "--port", str(ports[name])],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for port in ports.values():
        wait_for_port(port)
    return ports, procs


def switch_on(db, staff, commune: str, ports: dict[str, int]) -> None:
    """Switch the sandboxes' marketplaces on for the commune, with the sandboxes' test credentials."""
    from core.events import plugins
    from core.services import integrations

    for name, port in ports.items():
        adapter = plugins().marketplaces[name]
        sandbox = adapter.sandbox_class()
        settings = {k: getattr(sandbox, k) for k in adapter.settings_schema().fields if hasattr(sandbox, k)}
        integrations.configure(db, staff, commune, "marketplace", name, adapter.settings_schema, True,
                               {**settings, "base_url": f"http://127.0.0.1:{port}"})


def run_backend(backend: str, args, tmp: Path) -> dict:
    instance = tmp / backend
    env = {**os.environ, "CHOSO_INSTANCE_PATH": str(instance), "CHOSO_SECRET_KEY": "bench-only",
           "CHOSO_JOBS_BACKEND": backend, "CHOSO_REDIS_URL": args.redis, "CHOSO_PUBLISH_RETRY_BASE_SECONDS": "0.5"}
    if args.database:
        scratch = f"choso_bench_{backend}_{os.getpid()}"
        env["DATABASE_URL"] = fresh_database(args.database, scratch)
    else:
        env.pop("DATABASE_URL", None)
    if backend == "redis":
        from redis import Redis

        Redis.from_url(args.redis).flushdb()
    print(f"[{backend}] preparing {args.products} products …", file=sys.stderr)
    subprocess.run([str(BIN / "choso"), "demo"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / "grow_catalog.py"), str(args.products)], env=env,
                   check=True, capture_output=True, cwd=ROOT)
    procs = []
    app = None
    try:
        ports, sandboxes = start_sandboxes(env)
        procs += sandboxes
        os.environ.update(env)
        from core.app import create_app
        from core.db import database
        from core.services import demo, users

        app = create_app()
        with app.app_context():
            db = database(app).sessions()
            switch_on(db, users.find_by_login(db, demo.STAFF_PHONE), demo.DEMO_COMMUNE, ports)
        for _ in range(args.workers):
            procs.append(subprocess.Popen([str(BIN / "choso"), "worker"], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        time.sleep(2)  # let the workers start and go idle, as they would be when a seller taps
        return tap_and_wait(app, args)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        if app is not None:
            from core.db import database

            database(app).engine.dispose()  # the scratch database can only be dropped once nobody uses it
        if args.database:
            drop_database(args.database, scratch)


def tap_and_wait(app, args) -> dict:
    from sqlalchemy import func, select

    from core.db import database
    from core.models import Product
    from core.publishing.models import Listing
    from core.publishing.services import request_publish

    with app.app_context():
        db = database(app).sessions()
        start = time.time()
        refused = 0
        for product in db.scalars(select(Product).where(Product.status == "active").order_by(Product.id)).all():
            refused += len(request_publish(db, product.household.owner, product, ["postmart", "voso"]))
        tapped = time.time() - start
        total = db.scalar(select(func.count()).select_from(Listing))
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            db.expire_all()
            waiting = db.scalar(select(func.count()).select_from(Listing).where(
                Listing.state.in_(("queued", "publishing", "out_of_sync"))))
            if not waiting:
                break
            time.sleep(0.5)
        rows = db.execute(select(Listing.state, Listing.requested_at, Listing.live_at)).all()
    live = [(r.live_at - r.requested_at).total_seconds() for r in rows if r.state == "live"]
    last_live = max((r.live_at for r in rows if r.live_at), default=None)
    elapsed = (last_live.timestamp() - start) if last_live else float("nan")
    quantiles = statistics.quantiles(live, n=100) if len(live) >= 2 else [float("nan")] * 99
    return {"listings": total, "live": len(live), "refused_up_front": refused,
            "not_live": sum(1 for r in rows if r.state != "live"), "tap_seconds": tapped,
            "elapsed": elapsed, "products_per_s": (len(live) / 2) / elapsed if live else 0.0,
            "p50": quantiles[49], "p95": quantiles[94]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--backends", default="embedded,redis")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="choso-bench-publish-") as tmp:
        for backend in args.backends.split(","):
            results[backend] = run_backend(backend, args, Path(tmp))
            r = results[backend]
            print(f"{backend:9} {r['live']:5} listings live of {r['listings']} queued "
                  f"({r['refused_up_front']} refused up front, {r['not_live']} not live)  "
                  f"{r['products_per_s']:7.1f} products/s   tap→live p50 {r['p50']:.2f}s  p95 {r['p95']:.2f}s  "
                  f"(tapping took {r['tap_seconds']:.1f}s)")
    print(f"{args.workers} worker processes, {args.products} products, both marketplaces, "
          f"{'PostgreSQL' if args.database else 'SQLite'}")


if __name__ == "__main__":
    main()
