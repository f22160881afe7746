"""How workers hear about jobs. The embedded backend needs nothing; the Redis backend fans out through RQ.

Why RQ for the province set-up: durability already comes from the jobs table (leases, retries, idempotent
handlers), so the Redis side only has to hand job ids to many worker processes quickly. RQ does exactly that
with plain functions and nothing but Redis; Celery and Dramatiq bring brokers, actors and middleware that
would duplicate what the table does, and huey's Redis queue drops a job if a worker dies holding it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from flask import Flask
from sqlalchemy import event

from core.db import database

RQ_QUEUE = "choso"
RQ_FUNCTION = "core.jobs.worker.run_job_from_rq"


class EmbeddedBackend:
    """Workers poll the jobs table; in-process workers are woken at once by an event."""

    name = "embedded"

    def __init__(self) -> None:
        self.wake = threading.Event()

    def notify(self, job_ids: Iterable[int]) -> None:
        self.wake.set()


class RedisBackend:
    name = "redis"

    def __init__(self, url: str, lease_seconds: float = 120.0) -> None:
        from redis import Redis
        from rq import Queue

        self.url = url
        self.redis = Redis.from_url(url)
        self.queue = Queue(RQ_QUEUE, connection=self.redis)
        self.wake = threading.Event()
        # A job that outlives its lease has been given up on: the table lets another worker take it again.
        # RQ stops this worker's copy at twice the lease, so one stuck call (a database that vanished under a
        # query, say) cannot hold the worker and every job queued behind it.
        self.job_timeout = max(5, int(2 * lease_seconds))

    def notify(self, job_ids: Iterable[int]) -> None:
        for job_id in job_ids:
            # A marker per job keeps the sweeper from pushing the same due job again and again.
            if self.redis.set(f"choso:notified:{job_id}", 1, nx=True, ex=30):
                self.queue.enqueue(RQ_FUNCTION, job_id, result_ttl=0, failure_ttl=3600,
                                   job_timeout=self.job_timeout)

    def forget(self, job_id: int) -> None:
        self.redis.delete(f"choso:notified:{job_id}")


def init_app(app: Flask) -> None:
    kind = app.config.get("JOBS_BACKEND", "embedded")
    if kind == "redis":
        backend = RedisBackend(app.config["REDIS_URL"], float(app.config.get("JOB_LEASE_SECONDS", 120)))
    elif kind == "embedded":
        backend = EmbeddedBackend()
    else:
        raise RuntimeError(f"CHOSO_JOBS_BACKEND must be 'embedded' or 'redis', not {kind!r}")
    app.extensions["choso.jobs"] = backend
    sessions = database(app).sessions

    @event.listens_for(sessions, "after_commit")
    def _notify(db) -> None:
        ids = db.info.pop("choso_new_jobs", None)
        if ids:
            backend.notify(ids)

    @event.listens_for(sessions, "after_rollback")
    def _drop(db) -> None:
        db.info.pop("choso_new_jobs", None)
