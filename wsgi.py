"""Entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import os

from core.app import create_app
from core.observability import configure_logging

configure_logging(os.environ.get("CHOSO_LOG_FORMAT", "json"), os.environ.get("CHOSO_LOG_LEVEL", "INFO"))
app = create_app()
