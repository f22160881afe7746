"""Public catalog responses cached per process, invalidated by a per-commune catalog version.

Every flush that touches a shop, product or photo bumps its commune's row in `catalog_versions`, inside
the same transaction, and counts again how many products its public catalog lists (`on_sale`); a cached
response is served only while the version it was built from is current.
So anonymous catalog reads cost one primary-key lookup, and a seller's change shows on the next request,
in every process (the version lives in the database, not in the cache).

Two layers share one LRU. Inside Flask, `cached_public` serves a view's body while its version is current.
In front of Flask, `FastPath` answers a repeated anonymous GET that carries no cookie but the language one
(first visits, API clients, link previews) with the whole stored answer (status, headers, body) before
Flask's per-request machinery runs: session, sign-in, locale, limiter and header hooks cost several times
the answer itself (bench/catalog.py). Anything else, and every miss, goes to Flask as before.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from urllib.parse import parse_qsl

from flask import Flask, current_app, make_response, request
from flask import session as http_session
from flask_babel import get_locale
from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.http import parse_cookie, parse_etags

from core.auth.current import page_user
from core.db import database, upsert
from core.i18n import LANG_COOKIE, LOCALES
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
    db.info.setdefault("catalog_touched", set()).update(communes)
    db.info.setdefault("catalog_flushing", set()).update(communes)
    stmt = upsert(db, CatalogVersion).values([{"commune_code": c, "version": 1} for c in sorted(communes)])
    db.execute(stmt.on_conflict_do_update(index_elements=["commune_code"],
                                          set_={"version": CatalogVersion.version + 1}))


def _count_on_sale(db: Session, _flush_context) -> None:
    """After the flush wrote the change: count the touched communes' public catalogs again. The version bump
    before it holds the commune's row (PostgreSQL: row lock; SQLite: the write lock) until commit, so a
    concurrent change to the same commune waits, and its own count, a later statement, sees this one."""
    communes = db.info.pop("catalog_flushing", None)
    if communes:
        recount(db.connection(), communes)


def recount(conn, communes) -> None:
    """Count these communes' public catalogs again (after a change made below the ORM, e.g. a bulk insert)."""
    for code in sorted(communes):
        conn.execute(_SET_ON_SALE, {"code": code, "on_sale": count_on_sale(conn, code)})


def count_on_sale(conn, code: str) -> int:
    """How many products a commune's public catalog lists: its active products, less those of shops that are
    not open (few or none, so counted through the products' household index rather than a join)."""
    listed = conn.scalar(_ON_SALE, {"commune": code}) or 0
    closed = list(conn.scalars(_CLOSED_SHOPS, {"commune": code}))
    if closed:
        listed -= conn.scalar(_ON_SALE_IN_SHOPS, {"commune": code, "shops": closed}) or 0
    return listed


def on_sale(code: str) -> int:
    """The public catalog's count as the last change to the commune left it, read with the commune's version
    (so exactly as fresh: at once in the process that changed it, within a second in the others)."""
    return current_app.extensions["choso.catalog_versions"].on_sale(code)


_ON_SALE_WHERE = (Product.commune_code == bindparam("commune")) & (Product.status == "active")
_ON_SALE = select(func.count()).select_from(Product).where(_ON_SALE_WHERE)
_CLOSED_SHOPS = select(HouseholdBusiness.id).where(HouseholdBusiness.commune_code == bindparam("commune"),
                                                   HouseholdBusiness.status != "active")
_ON_SALE_IN_SHOPS = select(func.count()).select_from(Product).where(
    _ON_SALE_WHERE, Product.household_id.in_(bindparam("shops", expanding=True)))
_SET_ON_SALE = (update(CatalogVersion).where(CatalogVersion.commune_code == bindparam("code"))
                .values(on_sale=bindparam("on_sale")))


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
        self.keep(key, (version, body, etag))
        return etag

    def entry(self, key: tuple) -> tuple | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def keep(self, key: tuple, entry: tuple) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class Versions:
    """Each commune's catalog version as this process last read it: read again from the database once it is
    `seconds` old, and at once after this process committed a change to that commune. So a change shows on
    the next request of the process that made it, and within `seconds` in every other one, while a stream of
    catalog reads costs one query per commune per `seconds`, not one per request."""

    def __init__(self, engine: Engine, seconds: float) -> None:
        self.engine, self.seconds = engine, seconds
        self._known: dict[str, tuple[int, int, float]] = {}

    def current(self, code: str) -> int:
        return self._read(code)[0]

    def on_sale(self, code: str) -> int:
        """The commune's public catalog count, as fresh as its version (read with it)."""
        return self._read(code)[1]

    def _read(self, code: str) -> tuple[int, int, float]:
        now = time.monotonic()
        known = self._known.get(code)
        if known is not None and now - known[2] < self.seconds:
            return known
        with self.engine.connect() as conn:
            row = conn.execute(_VERSION, {"code": code}).first()
        self._known[code] = known = (row.version, row.on_sale, now) if row else (0, 0, now)
        return known

    def forget(self, db: Session) -> None:
        for code in db.info.pop("catalog_touched", ()):
            self._known.pop(code, None)


def init_app(app: Flask) -> None:
    sessions = database(app).sessions
    versions = Versions(database(app).engine, app.config.get("CATALOG_VERSION_SECONDS", 1.0))
    event.listen(sessions, "before_flush", _bump_versions)
    event.listen(sessions, "after_flush", _count_on_sale)
    event.listen(sessions, "after_commit", versions.forget)
    event.listen(sessions, "after_rollback", _forget_flushes)
    cache = ResponseCache(app.config.get("CATALOG_CACHE_SIZE", 256))
    app.extensions["choso.catalog_cache"] = cache
    app.extensions["choso.catalog_versions"] = versions
    app.wsgi_app = FastPath(app, cache, versions)


def _forget_flushes(db: Session) -> None:
    db.info.pop("catalog_touched", None)
    db.info.pop("catalog_flushing", None)


def _anonymous() -> bool:
    return (request.method == "GET" and "Authorization" not in request.headers and page_user() is None
            and not http_session.get("_flashes"))


_VERSION = select(CatalogVersion.version, CatalogVersion.on_sale).where(
    CatalogVersion.commune_code == bindparam("code"))


_CACHEABLE = "choso.cacheable"  # set by cached_public on a response FastPath may keep: (commune, version, endpoint)
_PER_REQUEST = {"set-cookie", "x-request-id", "x-cache", "content-length"}


def fast_key(environ: dict, default_locale: str) -> tuple | None:
    """The key of a request FastPath may answer, or None: an anonymous GET without a session, a sign-in
    cookie, a bearer token or a language switch (`?lang=` sets a cookie, which only Flask does)."""
    if environ.get("REQUEST_METHOD") != "GET" or "HTTP_AUTHORIZATION" in environ:
        return None
    locale = default_locale
    if cookie_header := environ.get("HTTP_COOKIE"):
        cookies = parse_cookie(cookie_header)  # as Flask reads them: a cookie Flask sees is seen here
        if set(cookies) - {LANG_COOKIE}:
            return None
        chosen = cookies.get(LANG_COOKIE)
        locale = chosen if chosen in LOCALES else default_locale
    query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if any(name == "lang" for name, _ in query):
        return None
    return environ.get("PATH_INFO", ""), tuple(sorted(query)), locale


def _nobody(*_args) -> None:
    return None


class FastPath:
    """WSGI middleware: repeats a stored anonymous catalog answer while its commune's version is current."""

    def __init__(self, app: Flask, cache: ResponseCache, versions: Versions) -> None:
        self.wsgi_app, self.cache, self.versions = app.wsgi_app, cache, versions
        self.default_locale = app.config.get("BABEL_DEFAULT_LOCALE", "vi")
        # the request counter operators watch counts these answers too (observability sets it up later)
        self.counted = lambda endpoint: app.extensions.get("choso.count_request", _nobody)("GET", endpoint, "200")

    def __call__(self, environ: dict, start_response: Callable):
        key = fast_key(environ, self.default_locale)
        if key is None or not self.cache.size:
            return self.wsgi_app(environ, start_response)
        key = ("fast", *key)
        entry = self.cache.entry(key)
        if entry is not None and self.versions.current(entry[0]) == entry[1]:
            return self._repeat(entry, environ, start_response)
        return self._keep(key, environ, start_response)

    def _repeat(self, entry: tuple, environ: dict, start_response: Callable):
        _commune, _version_, status, headers, body, etag, endpoint = entry
        self.counted(endpoint)
        headers = [*headers, ("X-Cache", "hit"), ("X-Request-Id", uuid.uuid4().hex)]
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if asked and parse_etags(asked).contains(etag):
            start_response("304 NOT MODIFIED", [h for h in headers if h[0].lower() != "content-type"])
            return [b""]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _keep(self, key: tuple, environ: dict, start_response: Callable):
        answer: dict = {}

        def remember(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        chunks = self.wsgi_app(environ, remember)
        cacheable = environ.get(_CACHEABLE)
        if cacheable is None or not answer.get("status", "").startswith("200"):
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        if not any(name.lower() == "set-cookie" for name, _ in answer["headers"]):
            commune, version, etag, endpoint = cacheable
            kept = [(n, v) for n, v in answer["headers"] if n.lower() not in _PER_REQUEST]
            self.cache.keep(key, (commune, version, answer["status"], kept, body, etag, endpoint))
        return [body]


def cached_public(commune: Callable[..., str | None]) -> Callable:
    """Serve an anonymous GET of one commune's catalog from the cache while its version is current."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            code = commune(*args, **kwargs)
            if not code or not _anonymous():
                return view(*args, **kwargs)
            cache: ResponseCache = current_app.extensions["choso.catalog_cache"]
            version = current_app.extensions["choso.catalog_versions"].current(code)
            request.environ[_CACHEABLE] = None
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
            request.environ[_CACHEABLE] = (code, version, response.get_etag()[0], request.endpoint)
            return response.make_conditional(request)

        return wrapper

    return decorate
