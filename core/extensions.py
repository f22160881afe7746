"""Flask extensions, created unbound and initialised in the factory."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _reads_without_credentials() -> bool:
    """Every limit guards a POST (sign-in, token creation) or a presented credential (bad API tokens and webhook
    signatures), so a read that carries none — the public catalog, most of the traffic — skips the limiter's
    bookkeeping, a fifth of such a request's time."""
    return request.method in ("GET", "HEAD") and "Authorization" not in request.headers
