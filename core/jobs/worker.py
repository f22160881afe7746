"""Workers: run due jobs until told to stop, or (burst) until nothing is left to do."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError

from core import containment
from core.db import database, utcnow
from core.jobs.models import Job
from core.jobs.queue import claim, due_ids, run_claimed, worker_id

log = logging.getLogger("choso.jobs")
_APP: Flask | None = None  # the app of an RQ worker process (RQ calls plain functions)


def _lease(app: Flask) -> float:
    return float(app.config.get("JOB_LEASE_SECONDS", 120))


def run_one(app: Flask, job_id: int | None = None) -> bool:
    """Claim and run one due job (or the given one). Returns whether a job ran."""
    db = database(app).sessions()
    try:
        job = claim(db, worker_id(), _lease(app), job_id)
        if job is None:
            return False
        run_claimed(db, job)
        return True
    finally:
        db.close()
        containment.flush(app)  # plugin failures the job met, written once its own session is closed


def work_remaining(app: Flask, horizon: float = 60.0) -> bool:
    """Whether a queued job falls due within `horizon` seconds, or one is running."""
    db = database(app).sessions()
    try:
        soon = utcnow() + timedelta(seconds=horizon)
        n = db.scalar(select(func.count()).select_from(Job).where(
            ((Job.state == "queued") & (Job.run_at <= soon)) | (Job.state == "running")))
        return bool(n)
    finally:
        db.close()


def work(app: Flask, *, burst: bool = False, poll: float = 0.5, stop: threading.Event | None = None) -> int:
    """Run jobs in this process. Returns how many ran."""
    backend = app.extensions["choso.jobs"]
    if not burst:
        _schedule_periodic(app)
    if backend.name == "redis":
        return _work_rq(app, burst=burst, stop=stop)
    ran = 0
    stop = stop or threading.Event()
    outage = 0  # consecutive failures to reach the database
    with app.app_context():
        while not stop.is_set():
            try:
                if run_one(app):
                    ran, outage = ran + 1, 0
                    continue
                if burst and not work_remaining(app):
                    return ran
                outage = 0
            except (OperationalError, InterfaceError):
                # The database restarts or fails over: wait and carry on. A job cut off mid-run keeps its lease
                # and is taken again when the lease runs out; nothing is lost by waiting.
                if not outage:
                    log.warning("the database is unreachable; the worker waits for it", exc_info=True)
                outage += 1
                stop.wait(min(5.0, 0.25 * 2 ** outage))
                continue
            backend.wake.wait(poll)
            backend.wake.clear()
    return ran


def _schedule_periodic(app: Flask) -> None:
    """A long-running worker makes sure the periodic jobs are queued: the monthly figures snapshot, the
    morning's bill reminders, asking the bank services for what their webhooks missed (now, then every
    CHOSO_BANK_POLL_MINUTES), and the households' marketplace connections (refreshed before their tokens expire,
    households told before their authorisation lapses; now, then every 10 minutes). Their job keys keep each
    to one, however many workers start."""
    from core.metrics import services as metrics
    from core.publishing import connections
    from payments.bills import reminders
    from payments.reconcile import polling

    with app.app_context():
        for schedule in (metrics.schedule_next, reminders.schedule_next, polling.schedule_at_start,
                         connections.schedule_at_start):
            db = database(app).sessions()
            try:
                schedule(db)
            except Exception:  # a worker must start even if this fails; it is tried again at the next start
                log.exception("could not queue a periodic job (%s)", schedule.__module__)
            finally:
                db.close()


# --- Redis (RQ) ------------------------------------------------------------------------------------------

def run_job_from_rq(job_id: int) -> None:
    """What RQ runs: lease the job in the table (it may already be done or taken) and run it."""
    app = _APP
    if app is None:
        raise RuntimeError("run_job_from_rq runs only inside `choso worker`")
    app.extensions["choso.jobs"].forget(job_id)
    with app.app_context():
        run_one(app, job_id)


def sweep(app: Flask) -> int:
    """Push due jobs to Redis: scheduled retries, expired leases, and anything a Redis restart lost."""
    backend = app.extensions["choso.jobs"]
    if not backend.redis.set("choso:sweeper", worker_id(), nx=True, px=500):
        return 0  # another worker swept moments ago
    db = database(app).sessions()
    try:
        ids = due_ids(db)
    finally:
        db.close()
    backend.notify(ids)
    return len(ids)


def _work_rq(app: Flask, *, burst: bool, stop: threading.Event | None) -> int:
    from rq import SimpleWorker

    global _APP
    _APP = app
    backend = app.extensions["choso.jobs"]
    stop = stop or threading.Event()
    if burst:
        while not stop.is_set():
            sweep(app)
            SimpleWorker([backend.queue], connection=backend.redis).work(burst=True, logging_level="WARNING")
            if not work_remaining(app):
                return 0
            time.sleep(0.2)
        return 0

    def sweeper() -> None:
        while not stop.is_set():
            try:
                sweep(app)
            except Exception:  # Redis or the database is restarting; try again shortly
                log.warning("sweep failed", exc_info=True)
            stop.wait(1.0)

    threading.Thread(target=sweeper, name="choso-sweeper", daemon=True).start()
    worker = SimpleWorker([backend.queue], connection=backend.redis)
    worker.work(logging_level="WARNING")
    stop.set()
    return 0
