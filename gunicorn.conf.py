"""gunicorn settings for choso's web processes: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden with the usual GUNICORN_CMD_ARGS or command-line flags.
"""

import multiprocessing
import os
import sys

bind = os.environ.get("CHOSO_BIND", "127.0.0.1:8000")  # behind a TLS proxy (nginx, Caddy) on the same host
# Requests are short and mostly wait on the database: 2 sync workers per core, at least 2.
workers = int(os.environ.get("CHOSO_WEB_WORKERS", max(2, multiprocessing.cpu_count() * 2)))
worker_class = "sync"
timeout = 30  # a marketplace or payment gateway slower than this is the job queue's business, not a request's
graceful_timeout = 20
keepalive = 5
# gunicorn's own most (its default is 4094): choso itself refuses API addresses over 4096 characters with its
# JSON error (414), so only a request line beyond this gets gunicorn's plain-text 414 (docs/api.md)
limit_request_line = 8190
max_requests = 2000  # recycle workers now and then: a leak never grows without bound
max_requests_jitter = 200
# Build choso once in the master and fork the workers from it: a worker recycled by max_requests is serving
# within milliseconds instead of importing and building the app again (about 0.8 s, during which it serves
# nothing; under load that was a third of the catalog's throughput, bench/catalog.py).
preload_app = True
accesslog = "-"
access_log_format = '{"time":"%(t)s","request_id":"%({x-request-id}o)s","method":"%(m)s","path":"%(U)s",' \
                    '"status":%(s)s,"bytes":%(B)s,"ms":%(M)s}'
forwarded_allow_ips = os.environ.get("CHOSO_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """Connections opened while the master built the app are the master's: each worker opens its own."""
    app = getattr(sys.modules.get("wsgi"), "app", None)
    if app is not None:
        from core.db import database

        database(app).engine.dispose(close=False)
