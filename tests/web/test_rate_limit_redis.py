"""With Redis as the limiter's storage, sign-in attempts are counted across processes (several workers)."""

import os
import secrets

import pytest

from core.app import create_app
from core.testing import config_for_tests, csrf_from

REDIS = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS, reason="no Redis: set TEST_REDIS_URL (CI does)")


def test_two_workers_share_the_sign_in_limit(choso_database_url, tmp_path, factory):
    user = factory.user(password="dung-mat-khau")
    prefix = "choso-test-" + secrets.token_hex(4)
    workers = [create_app(config_for_tests(choso_database_url, tmp_path / f"w{i}", RATELIMIT_STORAGE_URI=REDIS,
                                           RATELIMIT_KEY_PREFIX=prefix)) for i in range(2)]
    codes = []
    for attempt in range(11):
        client = workers[attempt % 2].test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        codes.append(client.post("/login", data={"login": user.phone, "password": "sai",
                                                  "csrf_token": token}).status_code)
    assert codes == [401] * 10 + [429]
