"""What operators watch: request ids, JSON log lines, health and readiness, Prometheus metrics."""

import json
import logging

from core.observability import JsonFormatter, RequestIdFilter


def test_every_response_carries_a_request_id_and_keeps_a_good_one(client):
    fresh = client.get("/healthz")
    assert fresh.get_json() == {"status": "ok"} and len(fresh.headers["X-Request-Id"]) == 32
    kept = client.get("/healthz", headers={"X-Request-Id": "lb-abc-12345"})
    assert kept.headers["X-Request-Id"] == "lb-abc-12345"
    forged = client.get("/healthz", headers={"X-Request-Id": "<script>alert(1)</script> and more"})
    assert "script" not in forged.headers["X-Request-Id"] and len(forged.headers["X-Request-Id"]) == 32


def test_log_lines_are_json_with_the_request_id(app):
    record = logging.LogRecord("choso.test", logging.WARNING, __file__, 1, "paid %s", ("X0J7",), None)
    with app.test_request_context(headers={"X-Request-Id": "req-12345678"}):
        app.preprocess_request()
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "paid X0J7" and line["request_id"] == "req-12345678" and line["level"] == "WARNING"


def test_readiness_checks_the_database_and_counts_waiting_jobs(client):
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["checks"]["database"] == "ok"
    assert r.get_json()["checks"]["jobs_waiting"] == 0


def test_readiness_says_unavailable_when_the_database_is_gone(app, tmp_path):
    from core.app import create_app
    from core.testing import config_for_tests

    broken = create_app(config_for_tests("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    r = broken.test_client().get("/readyz")
    assert r.status_code == 503 and r.get_json()["checks"]["database"].startswith("error")


def test_metrics_are_for_operators_only(app, client, factory):
    factory.product()
    client.get("/")
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = "operator-secret-token"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    r = client.get("/metrics", headers={"Authorization": "Bearer operator-secret-token"})
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and 'choso_http_requests_total{endpoint="catalog.home"' in text
    assert "choso_unmatched_bank_transfers 0.0" in text and "choso_http_request_seconds_bucket" in text


def test_security_headers_and_hsts_only_when_configured(app, client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY" and "Strict-Transport-Security" not in r.headers
    app.config["HSTS_SECONDS"] = 31536000
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
