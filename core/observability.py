"""What operators watch: a request id on every request and log line, JSON logs, health and readiness checks,
and Prometheus metrics on an endpoint only operators reach.

Metrics: request counts and latencies per endpoint, kept by each process (a scrape reaches one gunicorn
worker: sum them in Prometheus, or scrape each worker), and gauges read from the database at scrape time —
jobs by state, listings by state, bank transfers nobody matched yet — true across every process and host.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import uuid

from flask import Flask, Response, g, has_request_context, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text

from core.db import database

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage(),
                 "request_id": getattr(record, "request_id", "-")}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(fmt: str, level: str = "INFO") -> None:
    """Called by the entry points (wsgi.py, the CLI), never at import: the root logger belongs to the process."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _registry(app: Flask) -> CollectorRegistry:
    return app.extensions["choso.metrics_registry"]


class DatabaseGauges:
    """Figures that live in the database, read when Prometheus scrapes."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        from core.jobs.models import Job
        from core.publishing.models import Listing
        from payments.reconcile.models import BankTransaction

        db = database(self.app).sessions()
        try:
            jobs = GaugeMetricFamily("choso_jobs", "Background jobs by state", labels=["state"])
            for state, n in db.execute(select(Job.state, func.count()).group_by(Job.state)):
                jobs.add_metric([state], n)
            yield jobs
            listings = GaugeMetricFamily("choso_listings", "Marketplace listings by marketplace and state",
                                         labels=["marketplace", "state"])
            for marketplace, state, n in db.execute(select(Listing.marketplace, Listing.state, func.count())
                                                    .group_by(Listing.marketplace, Listing.state)):
                listings.add_metric([marketplace, state], n)
            yield listings
            unmatched = db.scalar(select(func.count()).select_from(BankTransaction)
                                  .where(BankTransaction.state == "unmatched")) or 0
            yield GaugeMetricFamily("choso_unmatched_bank_transfers", "Bank transfers waiting for staff",
                                    value=unmatched)
        finally:
            db.close()


def init_app(app: Flask) -> None:
    registry = CollectorRegistry()
    app.extensions["choso.metrics_registry"] = registry
    requests = Counter("choso_http_requests", "HTTP requests", ["method", "endpoint", "status"], registry=registry)
    latency = Histogram("choso_http_request_seconds", "HTTP request latency", ["endpoint"], registry=registry,
                        buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
    registry.register(DatabaseGauges(app))
    app.extensions["choso.count_request"] = lambda method, endpoint, status: requests.labels(
        method, endpoint, status).inc()

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        endpoint = request.endpoint or "unknown"
        requests.labels(request.method, endpoint, str(response.status_code)).inc()
        if "started" in g:
            latency.labels(endpoint).observe(time.perf_counter() - g.started)
        return response

    @app.get("/healthz")
    def healthz():
        """The process answers (for a load balancer's liveness check)."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz():
        """Ready to serve: the database answers, Redis too when configured, and the job queue depth."""
        checks, ok = {}, True
        try:
            with database(app).engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                checks["database"] = "ok"
                checks["jobs_waiting"] = conn.execute(text(
                    "SELECT count(*) FROM jobs WHERE state = 'queued'")).scalar_one()
        except Exception as exc:  # any failure means not ready; say which
            ok, checks["database"] = False, f"error: {type(exc).__name__}"
        backend = app.extensions.get("choso.jobs")
        if backend is not None and backend.name == "redis":
            try:
                backend.redis.ping()
                checks["redis"] = "ok"
            except Exception as exc:
                ok, checks["redis"] = False, f"error: {type(exc).__name__}"
        return jsonify({"status": "ok" if ok else "unavailable", "checks": checks}), 200 if ok else 503

    @app.get("/metrics")
    def metrics():
        """Prometheus text format, for operators only: `Authorization: Bearer $CHOSO_METRICS_TOKEN`."""
        token = app.config.get("METRICS_TOKEN") or ""
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or not secrets.compare_digest(given.encode(), token.encode()):
            return jsonify({"error": {"message": "not found"}}), 404
        return Response(generate_latest(_registry(app)), mimetype="text/plain; version=0.0.4")
