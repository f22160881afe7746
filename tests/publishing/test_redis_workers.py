"""The Redis-backed path for real: RQ workers in separate processes drain the publishing jobs."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core.app import create_app
from core.db import database
from core.models import Product
from core.publishing.models import Listing
from core.services.products import archive_product, update_product
from core.testing import config_for_tests
from tests.helpers import CREDENTIALS, free_port, make_products, publish_all, start_sandbox

REDIS = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS, reason="no Redis: set TEST_REDIS_URL (CI does)")
CHOSO = str(Path(sys.executable).with_name("choso"))


@pytest.fixture
def redis_app(choso_database_url, app, tmp_path):
    from redis import Redis

    Redis.from_url(REDIS).flushdb()
    config = config_for_tests(choso_database_url, Path(app.config["INSTANCE_PATH"]), JOBS_BACKEND="redis",
                              REDIS_URL=REDIS, SECRET_KEY=app.config["SECRET_KEY"])
    yield create_app(config)
    Redis.from_url(REDIS).flushdb()


def test_two_rq_workers_publish_everything_exactly_once(redis_app, app, db, factory, choso_database_url):
    sandbox = start_sandbox("postmart")
    try:
        factory.enable_marketplace("postmart", {"base_url": sandbox.url, **CREDENTIALS["postmart"]})
        shop, products = make_products(factory, app, db, 10)
        publish_all(redis_app, database(redis_app).sessions(), shop, ["postmart"])
        from redis import Redis
        from rq import Queue

        assert Queue("choso", connection=Redis.from_url(REDIS)).count == 10  # handed to Redis at commit
        env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_SECRET_KEY": app.config["SECRET_KEY"],
               "CHOSO_INSTANCE_PATH": app.config["INSTANCE_PATH"], "CHOSO_UPLOAD_DIR": app.config["UPLOAD_DIR"],
               "CHOSO_JOBS_BACKEND": "redis", "CHOSO_REDIS_URL": REDIS}
        workers = [subprocess.Popen([CHOSO, "worker", "--burst"], env=env, stderr=subprocess.PIPE)
                   for _ in range(2)]
        for worker in workers:
            assert worker.wait(120) == 0, worker.stderr.read().decode()[-2000:]
        db.expire_all()
        states = [listing.state for listing in db.scalars(select(Listing))]
        assert states == ["live"] * 10
        assert len(sandbox.control.products()) == 10

        # an edit and an archive, through the same Redis path
        rdb = database(redis_app).sessions()
        with redis_app.app_context():
            first, second = (rdb.get(Product, p.id) for p in products[:2])
            update_product(rdb, shop.owner, first, {"price_vnd": 123_000})
            archive_product(rdb, shop.owner, second)
        for worker in [subprocess.Popen([CHOSO, "worker", "--burst"], env=env, stderr=subprocess.PIPE)]:
            assert worker.wait(120) == 0, worker.stderr.read().decode()[-2000:]
        db.expire_all()
        by_product = {listing.product_id: listing for listing in db.scalars(select(Listing))}
        assert by_product[products[0].id].state == "live"
        assert sandbox.control.product(by_product[products[0].id].remote_id)["price"] == 123_000
        assert by_product[products[1].id].state == "unpublished"
        assert sandbox.control.product(by_product[products[1].id].remote_id)["active"] is False
    finally:
        sandbox.stop()


def test_a_job_whose_message_redis_lost_is_swept_back(redis_app, app, db, factory, choso_database_url):
    from redis import Redis

    sandbox = start_sandbox("voso")
    try:
        factory.enable_marketplace("voso", {"base_url": sandbox.url, **CREDENTIALS["voso"]})
        shop, _products = make_products(factory, app, db, 2)
        publish_all(redis_app, database(redis_app).sessions(), shop, ["voso"])
        Redis.from_url(REDIS).flushdb()  # as if Redis restarted without persistence
        env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_SECRET_KEY": app.config["SECRET_KEY"],
               "CHOSO_INSTANCE_PATH": app.config["INSTANCE_PATH"], "CHOSO_UPLOAD_DIR": app.config["UPLOAD_DIR"],
               "CHOSO_JOBS_BACKEND": "redis", "CHOSO_REDIS_URL": REDIS}
        worker = subprocess.run([CHOSO, "worker", "--burst"], env=env, capture_output=True, timeout=120)
        assert worker.returncode == 0, worker.stderr.decode()[-2000:]
        db.expire_all()
        assert [listing.state for listing in db.scalars(select(Listing))] == ["live", "live"]
    finally:
        sandbox.stop()


@pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server binary to restart")
def test_redis_restarted_mid_publish_loses_nothing_and_duplicates_nothing(app, db, factory, choso_database_url,
                                                                          tmp_path):
    """A Redis of the test's own (CI's shared one keeps running), killed and started again, empty, while
    two workers publish; the workers are restarted when they exit, as systemd's Restart=always does."""
    port = free_port()

    def start_redis() -> subprocess.Popen:
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                return proc
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    redis = start_redis()
    url = f"redis://127.0.0.1:{port}/0"
    sandbox = start_sandbox("postmart", slow_rate=1.0, slow_seconds=0.15)
    env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_SECRET_KEY": app.config["SECRET_KEY"],
           "CHOSO_INSTANCE_PATH": app.config["INSTANCE_PATH"], "CHOSO_UPLOAD_DIR": app.config["UPLOAD_DIR"],
           "CHOSO_JOBS_BACKEND": "redis", "CHOSO_REDIS_URL": url, "CHOSO_JOB_LEASE_SECONDS": "2",
           "CHOSO_PUBLISH_RETRY_BASE_SECONDS": "0.2"}
    workers: list[subprocess.Popen] = []
    try:
        factory.enable_marketplace("postmart", {"base_url": sandbox.url, **CREDENTIALS["postmart"]})
        shop, _products = make_products(factory, app, db, 8)
        redis_app = create_app(config_for_tests(choso_database_url, Path(app.config["INSTANCE_PATH"]),
                                                JOBS_BACKEND="redis", REDIS_URL=url,
                                                SECRET_KEY=app.config["SECRET_KEY"]))
        publish_all(redis_app, database(redis_app).sessions(), shop, ["postmart"])
        workers = [subprocess.Popen([CHOSO, "worker"], env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for _ in range(2)]
        time.sleep(0.6)
        redis.kill()  # SIGKILL: every queued message is gone with it
        redis.wait(10)
        db.expire_all()
        assert [listing.state for listing in db.scalars(select(Listing))].count("live") < 8  # work was left
        time.sleep(0.5)
        redis = start_redis()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            workers = [w if w.poll() is None else subprocess.Popen(
                [CHOSO, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for w in workers]
            db.expire_all()
            if [listing.state for listing in db.scalars(select(Listing))] == ["live"] * 8:
                break
            time.sleep(0.3)
        db.expire_all()
        assert [listing.state for listing in db.scalars(select(Listing))] == ["live"] * 8
        remote = sandbox.control.products()
        assert len(remote) == 8 and len({p["name"] for p in remote}) == 8
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        redis.terminate()
        redis.wait(10)
        sandbox.stop()


def test_a_stuck_job_is_stopped_at_twice_its_lease_and_the_jobs_behind_it_run(choso_database_url, app, db):
    """One job hangs (as a query under a database that vanished once did): RQ stops it at twice the lease,
    the job is taken again once its lease is over, and the job queued behind it runs meanwhile."""
    import threading

    from redis import Redis

    from core.jobs import queue
    from core.jobs.models import Job
    from core.jobs.worker import work

    Redis.from_url(REDIS).flushdb()
    config = config_for_tests(choso_database_url, Path(app.config["INSTANCE_PATH"]), JOBS_BACKEND="redis",
                              REDIS_URL=REDIS, SECRET_KEY=app.config["SECRET_KEY"], JOB_LEASE_SECONDS=2)
    rq_app = create_app(config)
    release, runs, stopped = threading.Event(), [], []

    def hangs(_db, _payload):
        runs.append("hang")
        if len(runs) == 1:
            try:
                release.wait(120)  # far longer than the test: only RQ's timeout ends it
            except BaseException:
                stopped.append(True)
                raise

    queue.HANDLERS["test.hangs"] = hangs
    queue.HANDLERS["test.after"] = lambda _db, _payload: runs.append("after")
    try:
        with rq_app.app_context():
            session = database(rq_app).sessions()
            queue.enqueue(session, "test.hangs", {})
            queue.enqueue(session, "test.after", {})
            session.commit()
            session.close()
        work(rq_app, burst=True)  # in this (main) thread, where RQ's timeout signal arrives
    finally:
        release.set()
        queue.HANDLERS.pop("test.hangs", None)
        queue.HANDLERS.pop("test.after", None)
        Redis.from_url(REDIS).flushdb()
    assert stopped == [True], "the stuck job was not stopped"
    assert runs.count("after") == 1 and runs.count("hang") == 2  # taken again after its lease, then done
    db.expire_all()
    assert {j.kind: j.state for j in db.scalars(select(Job))} == {"test.hangs": "done", "test.after": "done"}
