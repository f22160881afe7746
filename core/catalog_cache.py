"""Public catalog responses cached per process, invalidated by a per-commune catalog version.

Every flush that touches a shop, product or photo bumps its commune's row in `catalog_versions`, inside
the same transaction; a cached response is served only while the version it was built from is current.
So anonymous catalog reads cost one primary-key lookup, and a seller's change shows on the next request,
in every process (the version lives in the database, not in the cache).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, make_response, request
from flask import session as http_session
from flask_babel import get_locale
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from core.auth.current import page_user
from core.db import database, upsert
from core.models import CatalogVersion, HouseholdBusiness, Product, ProductImage


def _touched_communes(db: Session) -> set[str]:
    communes = set()
    for obj in (*db.new, *db.dirty, *db.deleted):
        if isinstance(obj, Product | HouseholdBusiness):
            communes.add(obj.commune_code)
        elif isinstance(obj, ProductImage) and obj.product is not None:
            communes.add(obj.product.commune_code)
    communes.discard(None)
    return communes


def _bump_versions(db: Session, _flush_context, _instances) -> None:
    communes = _touched_communes(db)
    if not communes:
        return
    stmt = upsert(db, CatalogVersion).values([{"commune_code": c, "version": 1} for c in sorted(communes)])
    db.execute(stmt.on_conflict_do_update(index_elements=["commune_code"],
                                          set_={"version": CatalogVersion.version + 1}))


class ResponseCache:
    """A small thread-safe LRU of (version, body, etag) by request key."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, tuple[int, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, version: int) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1], entry[2]

    def put(self, key: tuple, version: int, body: bytes) -> str:
        etag = hashlib.blake2b(body, digest_size=12).hexdigest()
        with self._lock:
            self._entries[key] = (version, body, etag)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return etag


def init_app(app: Flask) -> None:
    event.listen(database(app).sessions, "before_flush", _bump_versions)
    app.extensions["choso.catalog_cache"] = ResponseCache(app.config.get("CATALOG_CACHE_SIZE", 256))


def _anonymous() -> bool:
    return (request.method == "GET" and "Authorization" not in request.headers and page_user() is None
            and not http_session.get("_flashes"))


_VERSION = select(CatalogVersion.version).where(CatalogVersion.commune_code == bindparam("code"))


def _version(code: str) -> int:
    # Core on a pooled connection: this runs on every cached read, where the ORM session costs more than the query.
    with database().engine.connect() as conn:
        return conn.execute(_VERSION, {"code": code}).scalar() or 0


def cached_public(commune: Callable[..., str | None]) -> Callable:
    """Serve an anonymous GET of one commune's catalog from the cache while its version is current."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            code = commune(*args, **kwargs)
            if not code or not _anonymous():
                return view(*args, **kwargs)
            cache: ResponseCache = current_app.extensions["choso.catalog_cache"]
            version = _version(code)
            query = sorted((k, v) for k, v in request.args.items(multi=True) if k != "lang")
            key = (request.endpoint, code, tuple(query), str(get_locale()))
            hit = cache.get(key, version)
            if hit is not None:
                response = make_response(hit[0])
                response.mimetype = "application/json" if request.path.startswith("/api/") else "text/html"
                response.set_etag(hit[1])
                response.headers["X-Cache"] = "hit"
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
                response.set_etag(cache.put(key, version, response.get_data()))
                response.headers["X-Cache"] = "miss"
            response.headers["Cache-Control"] = "no-cache"  # revalidate with the ETag every time
            response.vary.add("Cookie")
            return response.make_conditional(request)

        return wrapper

    return decorate
