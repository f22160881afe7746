"""Configuration read from the environment (prefix ``CHOSO_``), with embedded defaults.

The defaults describe the one-machine install: a SQLite file and an upload folder under ``instance/``.
Every variable is listed in README.md; ``describe()`` feeds that table's test.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "sqlite:///<instance>/choso.sqlite3",
            "SQLAlchemy URL; postgresql+psycopg://user@host/db switches to PostgreSQL"),
    Setting("CHOSO_INSTANCE_PATH", "./instance", "folder for the SQLite file, uploads and the generated secret"),
    Setting("CHOSO_SECRET_KEY", "(generated into instance/secret_key)", "signs sessions and CSRF tokens"),
    Setting("CHOSO_UPLOAD_DIR", "<instance>/uploads", "where product photos are stored"),
    Setting("CHOSO_MAX_UPLOAD_MB", "8", "largest accepted upload, in MiB"),
    Setting("CHOSO_SECURE_COOKIES", "1", "send session cookies only over HTTPS (choso run turns it off)"),
    Setting("CHOSO_DEFAULT_LOCALE", "vi", "language when the visitor has not chosen one (vi or en)"),
    Setting("CHOSO_DEFAULT_COMMUNE", "", "commune code whose catalog the home page shows"),
    Setting("CHOSO_LOGIN_RATE_LIMIT", "10 per minute", "sign-in attempts allowed per address"),
    Setting("CHOSO_REFUSED_LIMIT", "30 per minute",
            "refused API tokens per address, and refused webhook signatures per source and commune, before "
            "further refusals answer 429 (valid credentials are never stopped)"),
    Setting("CHOSO_TRUSTED_PROXIES", "0",
            "how many reverse proxies in front set X-Forwarded-For/-Proto (1 behind one nginx or Caddy); "
            "0 ignores those headers"),
    Setting("CHOSO_IMAGE_DECODE_LIMIT", "20 per minute", "QR photos checked per address (the QR check page and API)"),
    Setting("CHOSO_IMAGE_RENDER_LIMIT", "300 per minute",
            "QR images, posters and receipt PDFs drawn per address"),
    Setting("CHOSO_CATALOG_CACHE_SIZE", "256", "public catalog responses kept per process (0 turns the cache off)"),
    Setting("CHOSO_CATALOG_VERSION_SECONDS", "1",
            "a catalog change made in one process shows in the others' cached pages within this many seconds"),
    Setting("CHOSO_PUBLIC_URL", "http://127.0.0.1:5000", "address buyers and marketplaces use to reach choso"),
    Setting("CHOSO_DISABLED_PLUGINS", "", "comma-separated plugin names not to load"),
    Setting("CHOSO_SAFE_MODE", "0", "1 starts with every third-party plugin off"),
    Setting("CHOSO_TRACE_PLUGINS", "0", "1 logs every hook call"),
    Setting("CHOSO_PLUGIN_TIMEOUT", "20", "seconds a call into a plugin (a marketplace's publish, ...) may take"),
    Setting("CHOSO_PLUGIN_TIMEOUT_MAX", "120",
            "the longest deadline a plugin may ask for with its own call_timeout, in seconds"),
    Setting("CHOSO_SETTINGS_KEY", "(derived from the secret key)",
            "Fernet key that encrypts secrets in plugin settings"),
    Setting("CHOSO_JOBS_BACKEND", "embedded", "embedded (jobs table, no extra service) or redis (RQ workers)"),
    Setting("CHOSO_REDIS_URL", "redis://127.0.0.1:6379/0", "Redis for the redis jobs backend"),
    Setting("CHOSO_JOB_LEASE_SECONDS", "120", "how long a worker holds a job before another may take it over"),
    Setting("CHOSO_PUBLISH_MAX_ATTEMPTS", "8", "marketplace calls tried before a listing is marked failed"),
    Setting("CHOSO_PUBLISH_RETRY_BASE_SECONDS", "5", "first retry delay; doubles each attempt, with jitter"),
    Setting("CHOSO_RATELIMIT_STORAGE_URL", "memory://", "Flask-Limiter storage (redis://… when several processes)"),
    Setting("CHOSO_ORDER_PAYMENT_MINUTES", "30", "how long a direct order's stock is held while it waits for payment"),
    Setting("CHOSO_SMTP_URL", "", "mail server for order notices, e.g. smtp+starttls://user:pass@host:587 "
            "(empty: no e-mail, the dashboard still shows new orders)"),
    Setting("CHOSO_HSTS_SECONDS", "0", "Strict-Transport-Security max-age once served only over HTTPS (0: not sent)"),
    Setting("CHOSO_METRICS_TOKEN", "", "bearer token that opens /metrics (Prometheus); empty keeps it closed"),
    Setting("CHOSO_LOG_FORMAT", "json", "json (one object per line, with the request id) or text; for gunicorn"),
    Setting("CHOSO_LOG_LEVEL", "INFO", "log level of the web processes"),
    Setting("CHOSO_MAIL_FROM", "choso@localhost", "sender address of the e-mails choso sends"),
    Setting("CHOSO_REMINDER_DAYS", "3", "remind payers this many days before a bill falls due (and once when overdue)"),
    Setting("CHOSO_REMINDER_HOUR", "8", "hour of the day (Vietnam time) the reminders go out"),
    Setting("CHOSO_BANK_POLL_MINUTES", "15", "how often bank services that can list transactions are asked for "
            "what their webhooks missed (also once when a worker starts, and when staff ask)"),
    Setting("CHOSO_SOURCE_QUIET_HOURS", "24", "warn staff when a bank service brought nothing for this long while "
            "bills are open"),
)


def _instance_path() -> Path:
    return Path(os.environ.get("CHOSO_INSTANCE_PATH", "instance")).resolve()


def _secret_key(instance: Path) -> str:
    """Use CHOSO_SECRET_KEY, or a key generated once per install and kept beside the data."""
    if key := os.environ.get("CHOSO_SECRET_KEY"):
        return key
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# Settings that are not configurable: the safe choice is the only choice.
FIXED: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "RATELIMIT_HEADERS_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,
}


def from_environment() -> dict[str, Any]:
    """Build the Flask config mapping from the process environment."""
    instance = _instance_path()
    env = os.environ.get
    upload_dir = Path(env("CHOSO_UPLOAD_DIR", str(instance / "uploads")))
    secure = env("CHOSO_SECURE_COOKIES", "1").lower() in _TRUE
    return {
        **FIXED,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": _secret_key(instance),
        "DATABASE_URL": env("DATABASE_URL", f"sqlite:///{instance / 'choso.sqlite3'}"),
        "UPLOAD_DIR": str(upload_dir),
        "MAX_CONTENT_LENGTH": int(env("CHOSO_MAX_UPLOAD_MB", "8")) * 1024 * 1024,
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "BABEL_DEFAULT_LOCALE": env("CHOSO_DEFAULT_LOCALE", "vi"),
        "DEFAULT_COMMUNE": env("CHOSO_DEFAULT_COMMUNE", ""),
        "LOGIN_RATE_LIMIT": env("CHOSO_LOGIN_RATE_LIMIT", "10 per minute"),
        "REFUSED_LIMIT": env("CHOSO_REFUSED_LIMIT", "30 per minute"),
        "TRUSTED_PROXIES": int(env("CHOSO_TRUSTED_PROXIES", "0")),
        "IMAGE_DECODE_LIMIT": env("CHOSO_IMAGE_DECODE_LIMIT", "20 per minute"),
        "IMAGE_RENDER_LIMIT": env("CHOSO_IMAGE_RENDER_LIMIT", "300 per minute"),
        "RATELIMIT_STORAGE_URI": env("CHOSO_RATELIMIT_STORAGE_URL", "memory://"),
        "CATALOG_CACHE_SIZE": int(env("CHOSO_CATALOG_CACHE_SIZE", "256")),
        "CATALOG_VERSION_SECONDS": float(env("CHOSO_CATALOG_VERSION_SECONDS", "1")),
        "PUBLIC_URL": env("CHOSO_PUBLIC_URL", "http://127.0.0.1:5000"),
        "DISABLED_PLUGINS": [p for p in env("CHOSO_DISABLED_PLUGINS", "").split(",") if p.strip()],
        "SAFE_MODE": env("CHOSO_SAFE_MODE", "0").lower() in _TRUE,
        "TRACE_PLUGINS": env("CHOSO_TRACE_PLUGINS", "0").lower() in _TRUE,
        "PLUGIN_TIMEOUT": float(env("CHOSO_PLUGIN_TIMEOUT", "20")),
        "PLUGIN_TIMEOUT_MAX": float(env("CHOSO_PLUGIN_TIMEOUT_MAX", "120")),
        "SETTINGS_KEY": env("CHOSO_SETTINGS_KEY", ""),
        "JOBS_BACKEND": env("CHOSO_JOBS_BACKEND", "embedded"),
        "REDIS_URL": env("CHOSO_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "JOB_LEASE_SECONDS": float(env("CHOSO_JOB_LEASE_SECONDS", "120")),
        "PUBLISH_MAX_ATTEMPTS": int(env("CHOSO_PUBLISH_MAX_ATTEMPTS", "8")),
        "PUBLISH_RETRY_BASE_SECONDS": float(env("CHOSO_PUBLISH_RETRY_BASE_SECONDS", "5")),
        "ORDER_PAYMENT_MINUTES": int(env("CHOSO_ORDER_PAYMENT_MINUTES", "30")),
        "SMTP_URL": env("CHOSO_SMTP_URL", ""),
        "MAIL_FROM": env("CHOSO_MAIL_FROM", "choso@localhost"),
        "REMINDER_DAYS": int(env("CHOSO_REMINDER_DAYS", "3")),
        "REMINDER_HOUR": int(env("CHOSO_REMINDER_HOUR", "8")),
        "BANK_POLL_MINUTES": max(1, int(env("CHOSO_BANK_POLL_MINUTES", "15"))),
        "SOURCE_QUIET_HOURS": float(env("CHOSO_SOURCE_QUIET_HOURS", "24")),
        "METRICS_TOKEN": env("CHOSO_METRICS_TOKEN", ""),
        "HSTS_SECONDS": int(env("CHOSO_HSTS_SECONDS", "0")),
        "ALLOW_PRIVATE_ADDRESSES": env("CHOSO_ALLOW_PRIVATE_ADDRESSES", "0").lower() in _TRUE,
        "STATEMENT_CONFIRM_BILLS": int(env("CHOSO_STATEMENT_CONFIRM_BILLS", "20")),
    }
