"""The deployment files work as shipped: gunicorn with gunicorn.conf.py serves wsgi:app, logs JSON."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_with_the_shipped_config_serves_and_logs_json(choso_database_url, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": choso_database_url, "CHOSO_INSTANCE_PATH": str(tmp_path),
           "CHOSO_SECRET_KEY": "deploy-test-secret", "CHOSO_BIND": f"127.0.0.1:{port}", "CHOSO_WEB_WORKERS": "2"}
    log = open(tmp_path / "gunicorn.log", "w+")  # noqa: SIM115 (read after the process ends)
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/readyz", headers={"X-Request-Id": "deploy-check-1"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["checks"]["database"] == "ok"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines()
             if line.startswith("{")]
    assert any(entry.get("request_id") == "deploy-check-1" and entry.get("path") == "/readyz" for entry in lines)
