"""Faults: storms of 429, 5xx at 30%, timeouts, dropped connections, and a worker killed mid-publish.

Afterwards every listing is live exactly once on the sandbox, or failed with a reason; none is stuck.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from core.jobs.models import Job
from core.publishing.models import Listing
from core.testing import run_jobs
from tests.helpers import CREDENTIALS, make_products, publish_all, start_sandbox

CHOSO = str(Path(sys.executable).with_name("choso"))


def test_storms_of_errors_end_live_exactly_once_or_failed_with_a_reason(app, db, factory):
    app.config.update(PUBLISH_RETRY_BASE_SECONDS=0.01, PUBLISH_RETRY_CAP_SECONDS=0.05, PUBLISH_MAX_ATTEMPTS=12)
    sandbox = start_sandbox("postmart", failure_rate=0.3, drop_rate=0.05, slow_rate=0.1, slow_seconds=0.6,
                            seed=7)
    try:
        factory.enable_marketplace("postmart", {"base_url": sandbox.url, "timeout_seconds": 0.3,
                                                **CREDENTIALS["postmart"]})
        shop, products = make_products(factory, app, db, 12)
        sandbox.control.fail(429, times=6, retry_after=0)
        publish_all(app, db, shop, ["postmart"])
        run_jobs(app)
        db.expire_all()
        rows = list(db.scalars(select(Listing)))
        assert len(rows) == 12
        assert not [r for r in rows if r.state not in ("live", "failed")]
        assert all(r.last_error for r in rows if r.state == "failed")
        remote = sandbox.control.products()
        live = [r for r in rows if r.state == "live"]
        assert len(remote) >= len(live) >= 9
        # a slow answer may time out after the sandbox created the product; the retry's idempotency key
        # finds it again, so each listing maps to exactly one remote product
        assert len({r.remote_id for r in live}) == len(live)
        assert len(remote) == len({p["name"] for p in remote})
        assert db.scalar(select(func.count()).select_from(Job).where(Job.state.in_(("queued", "running")))) == 0
    finally:
        sandbox.stop()


def _worker(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([CHOSO, "worker", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_worker_killed_mid_publish_loses_nothing_and_duplicates_nothing(app, db, factory, choso_database_url):
    sandbox = start_sandbox("voso", slow_rate=1.0, slow_seconds=2.0)
    try:
        factory.enable_marketplace("voso", {"base_url": sandbox.url, **CREDENTIALS["voso"]})
        shop, products = make_products(factory, app, db, 1)
        publish_all(app, db, shop, ["voso"])
        env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_SECRET_KEY": app.config["SECRET_KEY"],
               "CHOSO_INSTANCE_PATH": app.config["INSTANCE_PATH"], "CHOSO_UPLOAD_DIR": app.config["UPLOAD_DIR"],
               "CHOSO_JOB_LEASE_SECONDS": "2", "CHOSO_JOBS_BACKEND": "embedded"}
        first = _worker(env)
        deadline = time.time() + 30
        while sandbox.requests < 2 and time.time() < deadline:  # token, then the listing call in flight
            time.sleep(0.05)
        assert sandbox.requests >= 2
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        db.expire_all()
        assert db.scalars(select(Listing)).one().state == "publishing"
        sandbox.slow_rate = 0.0
        second = _worker(env, "--burst")
        assert second.wait(60) == 0, second.stderr.read().decode()[-2000:]
        db.expire_all()
        listing = db.scalars(select(Listing)).one()
        assert listing.state == "live"
        assert len(sandbox.control.products()) == 1
        assert sandbox.control.products()[0]["id"] == listing.remote_id
    finally:
        sandbox.stop()


def test_a_marketplace_down_for_a_while_catches_up_exactly_once(app, db, factory):
    import threading
    from urllib.parse import urlsplit

    from core.jobs.worker import work

    app.config.update(PUBLISH_RETRY_BASE_SECONDS=0.05, PUBLISH_RETRY_CAP_SECONDS=0.2, PUBLISH_MAX_ATTEMPTS=40)
    sandbox = start_sandbox("postmart")
    port = urlsplit(sandbox.url).port
    factory.enable_marketplace("postmart", {"base_url": sandbox.url, "timeout_seconds": 0.5,
                                            **CREDENTIALS["postmart"]})
    sandbox.stop()  # the marketplace goes down before anything is sent
    shop, _products = make_products(factory, app, db, 5)
    publish_all(app, db, shop, ["postmart"])
    worker = threading.Thread(target=work, args=(app,), kwargs={"burst": True, "poll": 0.05})
    worker.start()
    time.sleep(2)  # down for a while: every attempt meets a refused connection and is tried again later
    db.expire_all()
    assert {r.state for r in db.scalars(select(Listing))} <= {"queued", "publishing"}
    assert all(r.attempts >= 2 and r.last_error for r in db.scalars(select(Listing)))
    back = start_sandbox("postmart", port=port)  # the marketplace comes back, empty of choso's products
    try:
        worker.join(60)
        db.expire_all()
        rows = list(db.scalars(select(Listing)))
        assert [r.state for r in rows] == ["live"] * 5
        remote = back.control.products()
        assert len(remote) == 5 and len({p["name"] for p in remote}) == 5
    finally:
        back.stop()
