"""Enqueue, lease and settle jobs. Works the same on SQLite and PostgreSQL, with or without Redis.

A job is claimed by moving it to `running` with a lease; a worker that dies leaves an expired lease, and the
next claim takes the job again. Handlers must therefore be idempotent (publishing uses idempotency keys).
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from core.jobs.models import Job

log = logging.getLogger("choso.jobs")
HANDLERS: dict[str, Callable[[Session, dict[str, Any]], None]] = {}
MAX_ATTEMPTS = 10  # for unexpected errors; marketplace retries are counted by the listing itself


class RetryLater(Exception):
    """Raised by a handler: run the job again at `at` (the handler has already recorded why)."""

    def __init__(self, at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.at = at


def handler(kind: str) -> Callable:
    def register(fn: Callable[[Session, dict[str, Any]], None]) -> Callable:
        HANDLERS[kind] = fn
        return fn

    return register


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue(db: Session, kind: str, payload: dict[str, Any], *, key: str | None = None,
            run_at: datetime | None = None) -> Job:
    """Add a job in the caller's transaction; at most one queued job per key (the earliest run time wins)."""
    run_at = run_at or utcnow()
    if key:
        existing = db.scalar(select(Job).where(Job.key == key, Job.state == "queued"))
        if existing is not None:
            existing.run_at = min(existing.run_at, run_at)
            existing.payload = payload
            return existing
    job = Job(kind=kind, key=key, payload=payload, run_at=run_at)
    db.add(job)
    db.flush()
    db.info.setdefault("choso_new_jobs", []).append(job.id)
    return job


def _due(now: datetime):
    return or_(and_(Job.state == "queued", Job.run_at <= now),
               and_(Job.state == "running", Job.locked_until < now))


def claim(db: Session, owner: str, lease_seconds: float, job_id: int | None = None) -> Job | None:
    """Lease one due job (or the given one, if due). Safe under concurrent workers on both databases."""
    now = utcnow()
    stmt = select(Job.id).where(_due(now)).order_by(Job.run_at, Job.id).limit(1)
    if job_id is not None:
        stmt = select(Job.id).where(Job.id == job_id, _due(now))
    candidate = db.scalar(stmt.with_for_update(skip_locked=True))  # PostgreSQL; SQLite has one writer anyway
    if candidate is None:
        db.rollback()
        return None
    won = db.execute(
        update(Job).where(Job.id == candidate, _due(now)).values(
            state="running", locked_by=owner, locked_until=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1)
    ).rowcount
    db.commit()
    return db.get(Job, candidate) if won == 1 else None


def run_claimed(db: Session, job: Job) -> None:
    """Run a leased job's handler and settle the row: done, again later, or dead."""
    fn = HANDLERS.get(job.kind)
    try:
        if fn is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        fn(db, dict(job.payload))
    except RetryLater as later:
        db.rollback()
        _settle(db, job, state="queued", run_at=later.at, error=str(later))
    except Exception as exc:
        db.rollback()
        log.exception("job %s (%s) failed", job.id, job.kind)
        if job.attempts >= MAX_ATTEMPTS:
            _settle(db, job, state="dead", error=f"{type(exc).__name__}: {exc}")
        else:
            delay = min(300.0, 2.0 ** job.attempts) * random.uniform(0.5, 1.5)  # noqa: S311 (jitter)
            _settle(db, job, state="queued", run_at=utcnow() + timedelta(seconds=delay),
                    error=f"{type(exc).__name__}: {exc}")
    else:
        _settle(db, job, state="done")


def _settle(db: Session, job: Job, *, state: str, run_at: datetime | None = None, error: str | None = None) -> None:
    row = db.get(Job, job.id)
    row.state = state
    row.locked_by = row.locked_until = None
    if run_at is not None:
        row.run_at = run_at
    if error is not None:
        row.last_error = error[:2000]
    if state in ("done", "dead"):
        row.finished_at = utcnow()
    db.commit()


def pending(db: Session) -> list[Job]:
    return list(db.scalars(select(Job).where(Job.state.in_(("queued", "running"))).order_by(Job.run_at)))


def due_ids(db: Session, limit: int = 500) -> list[int]:
    return list(db.scalars(select(Job.id).where(_due(utcnow())).order_by(Job.run_at).limit(limit)))
