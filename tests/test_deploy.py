"""The deployment files work as shipped: gunicorn with gunicorn.conf.py serves wsgi:app, logs JSON."""

import json
import os
import subprocess

import httpx

from tests.helpers import free_port, running_gunicorn


def test_gunicorn_with_the_shipped_config_serves_and_logs_json(choso_database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_INSTANCE_PATH": str(tmp_path),
           "CHOSO_SECRET_KEY": "deploy-test-secret", "CHOSO_BIND": f"127.0.0.1:{port}", "CHOSO_WEB_WORKERS": "2"}
    log = open(tmp_path / "gunicorn.log", "w+")  # noqa: SIM115 (read after the process ends)
    with running_gunicorn(env, stdout=log, stderr=subprocess.STDOUT):
        r = httpx.get(f"http://127.0.0.1:{port}/readyz", headers={"X-Request-Id": "deploy-check-1"})
        assert r.status_code == 200 and r.json()["checks"]["database"] == "ok"
    lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines()
             if line.startswith("{")]
    assert any(entry.get("request_id") == "deploy-check-1" and entry.get("path") == "/readyz" for entry in lines)


def test_a_very_long_api_address_gets_the_apis_json_error_from_gunicorn(choso_database_url, tmp_path):
    """Issue 18.4: gunicorn would answer its own HTML "414 URI Too Long"; the API answers in its JSON shape."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_INSTANCE_PATH": str(tmp_path),
           "CHOSO_SECRET_KEY": "deploy-test-secret", "CHOSO_BIND": f"127.0.0.1:{port}", "CHOSO_WEB_WORKERS": "1"}
    with running_gunicorn(env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/products?q={'a' * 6000}")
        assert r.status_code == 414 and r.json()["error"]["status"] == 414
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/products?q={'a' * 100}").status_code == 200
