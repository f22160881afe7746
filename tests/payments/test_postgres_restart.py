"""PostgreSQL crashes and comes back in the middle of bank webhooks and publishing.

The suite's own database lives on the machine's shared server, which a test must not stop; this test runs a
PostgreSQL server of its own (initdb + pg_ctl, as the `postgres` user when the suite runs as root, since
initdb refuses root) on a free 127.0.0.1 port, and stops it afterwards. Web (gunicorn, 2 processes) and a
job worker (embedded queue, then RQ over Redis) run against it as real processes; the server is stopped
with `pg_ctl restart -m immediate`, which kills every backend as a crash would and replays the WAL on the way
up.

Afterwards: every webhook the bank retried became exactly one payment, every listing is live exactly once on
the marketplace, and the job queue drained without anybody touching it.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import make_engine, utcnow
from core.jobs.models import Job
from core.publishing.models import Listing
from payments.bills.models import Bill
from payments.reconcile.models import BankTransaction, Payment
from tests.helpers import (
    CREDENTIALS,
    SEPAY_KEY,
    deliver_webhook,
    free_port,
    make_products,
    publish_all,
    running_gunicorn,
    sepay_body,
    start_sandbox,
    wait_until,
)
from tests.payments.conftest import bill_for

BIN = Path(sys.executable).parent
WEBHOOKS = 48


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster: initdb into a fresh folder, listen on 127.0.0.1:<port> only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir, self.port = bindir, free_port()
        self.root = Path(tempfile.mkdtemp(prefix="choso-pg-"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:  # initdb refuses to run as root; the cluster belongs to the postgres user
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-t", "60", "-o", options,
                  "-l", str(self.root / "server.log"), *extra)

    def crash_and_restart(self) -> None:
        self._pg_ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "fast")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    from core import schema

    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("runs in the PostgreSQL pass of the suite (TEST_DATABASE_URL unset)")
    bindir = _postgres_bin()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL's server programs (initdb, pg_ctl) are required in CI")
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    server = PrivatePostgres(bindir)
    server.start()
    try:
        engine = make_engine(server.url)
        schema.upgrade(engine)
        schema.seed_communes(engine)
        engine.dispose()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def choso_database_url(private_postgres) -> str:
    """This module's tests run on the server of their own, which they may crash."""
    return private_postgres.url


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-6000:]


@pytest.mark.parametrize("jobs_backend", ["embedded", "redis"])
def test_a_postgres_crash_mid_load_loses_no_payment_or_listing_and_the_queue_drains(
        jobs_backend, private_postgres, app, client, billing, factory, db, tmp_path):
    server = private_postgres
    redis_url = os.environ.get("TEST_REDIS_URL")
    if jobs_backend == "redis":
        if not redis_url:
            pytest.skip("no Redis: set TEST_REDIS_URL (CI does)")
        from redis import Redis

        Redis.from_url(redis_url).flushdb()
    factory.enable_payment_source("sepay", {"api_key": SEPAY_KEY})
    bills = [bill_for(client, billing, billing.households[i % 3], period=f"{i % 12 + 1}/{2020 + i // 12}")
             for i in range(WEBHOOKS)]
    sandbox = start_sandbox("postmart", slow_rate=1.0, slow_seconds=0.4)  # 8 listings take over 3 s
    factory.enable_marketplace("postmart", {"base_url": sandbox.url, "timeout_seconds": 2,
                                            **CREDENTIALS["postmart"]})
    shop, products = make_products(factory, app, db, 8)

    port = free_port()
    env = {**os.environ, "DATABASE_URL": server.url, "CHOSO_INSTANCE_PATH": str(tmp_path),
           "CHOSO_UPLOAD_DIR": app.config["UPLOAD_DIR"], "CHOSO_SECRET_KEY": app.config["SECRET_KEY"],
           "CHOSO_BIND": f"127.0.0.1:{port}", "CHOSO_WEB_WORKERS": "2", "CHOSO_LOG_FORMAT": "text",
           "CHOSO_LOG_LEVEL": "WARNING", "CHOSO_JOBS_BACKEND": jobs_backend, "CHOSO_REDIS_URL": redis_url or "",
           "CHOSO_JOB_LEASE_SECONDS": "3", "CHOSO_PUBLISH_RETRY_BASE_SECONDS": "0.2"}
    worker_log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([str(BIN / "choso"), "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=worker_log)
    url = f"http://127.0.0.1:{port}/api/v1/webhooks/payments/sepay/00583"
    try:
        with running_gunicorn(env):
            publish_all(app, db, shop, ["postmart"])
            results: list[int] = []

            def send(batch):
                for i, bill in batch:
                    body = sepay_body(700_000 + i, 30000, f"{bill['reference']} nop phi")
                    results.append(deliver_webhook(url, body, seconds=60))
                    # paced as a bank sends them over time, so the crash lands while payments still arrive
                    # (unpaced, all 48 could be in before the first listing went live)
                    time.sleep(0.15)

            numbered = list(enumerate(bills))
            senders = [threading.Thread(target=send, args=(numbered[k::4],)) for k in range(4)]
            for sender in senders:
                sender.start()
            wait_until(lambda: len(results) >= 8 and sandbox.control.products(), 30,
                       "the first payments and listings")
            before = len(sandbox.control.products())
            server.crash_and_restart()  # every backend killed mid-transaction, the WAL replayed
            assert before < 8 and len(results) < WEBHOOKS, "the crash came too late to test anything"
            for sender in senders:
                sender.join(90)
            assert len(results) == WEBHOOKS

            def drained() -> bool:  # the worker's periodic jobs (snapshot, reminders) wait for later: not counted
                db.expire_all()
                return not db.scalar(select(func.count()).select_from(Job).where(
                    (Job.state == "running") | ((Job.state == "queued") & (Job.run_at <= utcnow()))))
            try:
                wait_until(drained, 90, "the job queue to drain")
            except AssertionError:
                stuck = db.scalars(select(Job).where(Job.state.in_(("queued", "running")))).all()
                worker.send_signal(signal.SIGUSR1)  # the worker prints every thread's stack
                time.sleep(1)
                raise AssertionError("jobs left: " + "; ".join(
                    f"{j.id} {j.kind} {j.state} attempts={j.attempts} run_at={j.run_at} until={j.locked_until} "
                    f"by={j.locked_by} error={j.last_error!r}" for j in stuck)
                    + "\nworker: " + _tail(tmp_path / "worker.log")) from None
            assert worker.poll() is None, ("the worker died with the database: "
                                           + _tail(tmp_path / "worker.log"))
            remote = sandbox.control.products()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        worker_log.close()
        sandbox.stop()

    db.expire_all()
    assert db.scalar(select(func.count()).select_from(BankTransaction)) == WEBHOOKS
    assert db.scalar(select(func.count()).select_from(Payment)) == WEBHOOKS
    assert db.scalar(select(func.count()).select_from(Bill).where(Bill.state == "paid")) == WEBHOOKS
    listings = db.scalars(select(Listing)).all()
    assert len(listings) == 8 and {r.state for r in listings} == {"live"}
    assert len(remote) == 8 and {p["id"] for p in remote} == {r.remote_id for r in listings}

