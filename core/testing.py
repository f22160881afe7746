"""pytest plugin shipped with choso: a migrated database, an app, a client and data factories.

Installed as the `choso` pytest11 entry point, so a plugin package's own tests get the same fixtures.
The database is SQLite unless TEST_DATABASE_URL names a PostgreSQL server; there a fresh database is
created for the run and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.db import Base, database, make_engine

KEEP = {"provinces", "communes"}  # reference data, seeded once per run
COMMUNE = "00583"  # Xã Bát Tràng, Hà Nội
OTHER_COMMUNE = "02392"  # Xã Phù Lưu, Tuyên Quang


def _postgres_database(url: str) -> Iterator[str]:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"choso_test_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def choso_database_url(tmp_path_factory) -> Iterator[str]:
    """A migrated database with the official communes, for the whole test session."""
    from core import schema

    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        urls = _postgres_database(pg)
        url = next(urls)
    else:
        urls = None
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'choso.sqlite3'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    schema.seed_communes(engine)
    engine.dispose()
    yield url
    if urls is not None:
        next(urls, None)


def config_for_tests(url: str, instance: Path, **overrides: Any) -> dict[str, Any]:
    from core.config import FIXED

    config = {
        **FIXED,
        "TESTING": True,
        "SECRET_KEY": "test-" + secrets.token_hex(8),
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "UPLOAD_DIR": str(instance / "uploads"),
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "SESSION_COOKIE_SECURE": False,
        "BABEL_DEFAULT_LOCALE": "vi",
        "DEFAULT_COMMUNE": "",
        "LOGIN_RATE_LIMIT": "10 per minute",
        "REFUSED_LIMIT": "30 per minute",
        "IMAGE_DECODE_LIMIT": "20 per minute",
        "IMAGE_RENDER_LIMIT": "300 per minute",
        "TRUSTED_PROXIES": 0,
        "PLUGIN_TIMEOUT": 20.0,
        "PLUGIN_TIMEOUT_MAX": 120.0,
        "RATELIMIT_STORAGE_URI": "memory://",
        "WTF_CSRF_ENABLED": True,
        # the sandboxes, localstripe and SMTP servers of the suite listen on 127.0.0.1
        "ALLOW_PRIVATE_ADDRESSES": True,
    }
    config.update(overrides)
    return config


def _empty_tables(engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP:
                conn.execute(table.delete())


@pytest.fixture
def app(choso_database_url, tmp_path):
    from core.app import create_app
    from core.extensions import limiter

    app = create_app(config_for_tests(choso_database_url, tmp_path / "instance"))
    limiter.reset()
    yield app
    _empty_tables(database(app).engine)
    database(app).engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session of the test's own; no app context is held open, so each request gets a fresh one."""
    session = database(app).sessions()
    yield session
    session.close()


@dataclass
class Factory:
    """Builds users, shops and products straight through the services, committed.

    Each call runs in an app context of its own, so plugin events fire as they do in a request.
    """

    db: Session
    app: Any = None
    counter: list[int] = field(default_factory=lambda: [0])

    def __post_init__(self) -> None:
        for name in ("user", "shop", "product", "token", "enable_marketplace", "enable_payment_source",
                     "enable_payment_provider"):
            method = getattr(self, name)
            setattr(self, name, self._in_context(method))

    def _in_context(self, method):
        def call(*args, **kwargs):
            with self.app.app_context():
                return method(*args, **kwargs)

        return call

    def _next(self) -> int:
        self.counter[0] += 1
        return self.counter[0]

    def user(self, role: str = "household", commune: str = COMMUNE, *, password: str | None = None,
             name: str = "", phone: str | None = None):
        from core.services import users

        n = self._next()
        user, _ = users.ensure_user(self.db, phone=phone or f"0{910000000 + n}", name=name or f"Người dùng {n}",
                                    password=password)
        users.grant(self.db, user, role, commune)
        self.db.commit()
        return user

    def shop(self, owner=None, *, commune: str = COMMUNE, name: str | None = None, **extra):
        from core.services import shops

        owner = owner or self.user("household", commune)
        data = {"commune_code": commune, "name": name or f"Hộ kinh doanh số {self._next()}", **extra}
        return shops.open_shop(self.db, owner, data)

    def assign_helper(self, helper, shop):
        """Staff of the shop's commune let ``helper`` act for ``shop`` (as on /staff/<code>/helpers)."""
        from core.services import helpers

        staff = self.user("staff", shop.commune_code)
        row = helpers.assign(self.db, staff, self.db.merge(shop), self.db.merge(helper))
        self.db.commit()
        return row

    def product(self, shop=None, *, name: str = "Nước mắm cá cơm", price_vnd: int = 150_000, **extra):
        from core.services import products

        shop = shop or self.shop()
        data = {"household_id": shop.id, "name": name, "product_group": "food", "price_vnd": price_vnd,
                "stock": 10, "status": "active", **extra}
        return products.create_product(self.db, shop.owner, data)

    def token(self, user) -> str:
        from core.auth.tokens import create_token

        _row, token = create_token(self.db, user, "test")
        self.db.commit()
        return token

    def enable_marketplace(self, name: str, settings: dict[str, Any], commune: str = COMMUNE):
        """Switch a marketplace on for a commune, as its staff would."""
        from core.events import plugins
        from core.services import integrations

        staff = self.user("staff", commune) if not hasattr(self, "_staff") else self._staff
        schema = plugins().marketplaces[name].settings_schema
        return integrations.configure(self.db, staff, commune, "marketplace", name, schema, True, dict(settings))


    def enable_payment_source(self, name: str, settings: dict[str, Any], commune: str = COMMUNE):
        from core.events import plugins
        from core.services import integrations

        staff = self.user("staff", commune)
        schema = plugins().payment_sources[name].settings_schema
        return integrations.configure(self.db, staff, commune, "payment_source", name, schema, True, dict(settings))


    def enable_payment_provider(self, identifier: str, settings: dict[str, Any] | None = None,
                                commune: str = COMMUNE):
        """Switch a payment provider (vietqr, stripe, cash or a plugin's) on for a commune, as its staff would."""
        from core.events import plugins
        from core.services import integrations

        staff = self.user("staff", commune)
        schema = plugins().payment_providers[identifier].settings_schema
        return integrations.configure(self.db, staff, commune, "payment_provider", identifier, schema, True,
                                      dict(settings or {}))


@pytest.fixture
def factory(db, app) -> Factory:
    return Factory(db, app)


def run_jobs(app) -> int:
    """Run every due job in this process, as `choso worker --burst` does."""
    from core.jobs.worker import work

    return work(app, burst=True, poll=0.05)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(client, user, password: str) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"login": user.phone, "password": password,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def post_form(client, page_url: str, url: str, data: dict[str, Any], **kw):
    """Submit a form the way a browser does: take the CSRF token from the page that shows the form."""
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kw)
