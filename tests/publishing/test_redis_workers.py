"""The Redis-backed path for real: RQ workers in separate processes drain the publishing jobs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.app import create_app
from core.db import database
from core.models import Product
from core.publishing.models import Listing
from core.services.products import archive_product, update_product
from core.testing import config_for_tests
from tests.helpers import CREDENTIALS, start_sandbox
from tests.publishing.test_faults import make_products, publish_all

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
