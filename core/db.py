"""Database engine and sessions, kept on the app (no module-level engine).

Request code asks for ``session()``: one SQLAlchemy session per application context, closed at teardown.
CLI commands and jobs run inside an app context too, so the same call serves them.

Row locks are written as `.with_for_update()` whatever the database: PostgreSQL takes them, and SQLAlchemy
leaves the clause out on SQLite, where one writer at a time already serialises the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always hands back timezone-aware datetimes (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Times are stored in UTC; people read them, and days and months are counted, in Vietnam time.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vietnam_today() -> date:
    return utcnow().astimezone(VIETNAM).date()


def vietnam_day(day: date) -> tuple[datetime, datetime]:
    """A day in Vietnam time, as the instants [start, end) to compare stored times with."""
    start = datetime.combine(day, time(), VIETNAM)
    return start, start + timedelta(days=1)


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # A server that vanished (a crash, a failover, a cut cable) must not hold a request or a job forever:
    # connecting gives up after 10 s, and TCP keepalives find a dead connection within about a minute.
    # Anything the operator puts in the URL's query wins.
    given = make_url(url).query
    defaults = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                "keepalives_count": 3}
    return create_engine(url, pool_pre_ping=True,
                         connect_args={k: v for k, v in defaults.items() if k not in given})


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["choso.db"] = Database(engine, sessionmaker(engine, expire_on_commit=False))

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        s = g.pop("db_session", None)
        if s is not None:
            if exc is not None:
                s.rollback()
            s.close()


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["choso.db"]


def session() -> Session:
    """The session of the current application context."""
    if "db_session" not in g:
        g.db_session = database().sessions()
    return g.db_session


def write_lock(db: Session, model) -> None:
    """On SQLite, take the database's write lock now, so that everything this transaction reads from here on
    stays current until it commits. SQLite has no row locks and its reads open no transaction: without this,
    two writers read the same row, and the second, once it gets the lock, writes over the first's change. An
    UPDATE of ``model`` that matches no row is enough to take the lock. PostgreSQL needs nothing here: callers
    lock the rows they change (``lock``, FOR UPDATE)."""
    from sqlalchemy import false, update

    if db.get_bind().dialect.name == "sqlite":
        db.execute(update(model).where(false()).values(id=model.id).execution_options(synchronize_session=False))


def lock(db: Session, model, ident: int):
    """Take `model` row `ident` for writing until the commit, then read it afresh (None if it is gone).

    A money move locks what it changes, then checks again. PostgreSQL takes the row lock; on SQLite the
    database's write lock is taken first (`write_lock`): every other writer waits for the commit, and what is
    read after it is current.
    """
    from sqlalchemy import select

    write_lock(db, model)
    db.expire_all()
    return db.scalar(select(model).where(model.id == ident).with_for_update(of=model))


def flush_or_conflict(db: Session, field: str, message: str) -> None:
    """Flush; a unique constraint refusing the new row becomes a 409 naming the field, and nothing is kept."""
    from sqlalchemy.exc import IntegrityError

    from core.errors import Conflict

    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise Conflict(message, {field: [message]}) from exc


def upsert(db: Session, table):
    """An INSERT that takes `.on_conflict_do_update(...)`, for the database `db` runs on (SQLite or PostgreSQL)."""
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
