"""Who is slowed down, and by what: the client address as the operator's proxies report it, refused
credentials counted per what they tried to open, and anonymous image work counted per address.

The rule that matters for money: a request whose credential is valid — a signed-in token, a correctly signed
bank notification — is never refused because of other requests' failures. So refusals are counted only after
a credential has failed, and only the failing request is answered 429.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request
from limits import parse
from werkzeug.middleware.proxy_fix import ProxyFix

from core.auth.current import page_user
from core.extensions import limiter

COUNTS_READS = "choso_counts_reads"
CARRIES_PHOTOS = "choso_carries_photos"
# A form that carries a phone photo may be this large as a request: a 4-12 MB photo then comes back to the
# form as a sentence with everything typed kept, not as a bare 413. The photo itself is still held to
# CHOSO_MAX_UPLOAD_MB by the view; only requests beyond this cap are refused unread.
PHOTO_FORM_CAP = 48 * 1024 * 1024


def carries_photos(view: Callable) -> Callable:
    """Mark a page form whose request may hold a phone's photo larger than the upload limit (see above)."""
    setattr(view, CARRIES_PHOTOS, True)
    return view


def init_forms(app: Flask) -> None:
    """Registered before CSRF protection, which reads the form and so would hit the app-wide limit first."""

    @app.before_request
    def _room_for_photos() -> None:
        view = app.view_functions.get(request.endpoint or "")
        # Only for someone signed in: an anonymous sender gets the app-wide limit, so nobody can make the
        # server read 48 MB bodies before being told to sign in.
        if getattr(view, CARRIES_PHOTOS, False) and page_user() is not None:
            request.max_content_length = max(PHOTO_FORM_CAP, app.config.get("MAX_CONTENT_LENGTH") or 0)


def init_app(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto from exactly as many proxies as the operator says sit in front (0: none,
    so a client cannot pick its own address by sending the header)."""
    hops = int(app.config.get("TRUSTED_PROXIES", 0))
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


@limiter.request_filter
def _reads_without_credentials() -> bool:
    """Every limit guards a POST (sign-in, token creation), or image work marked with ``image_limit``, so a read
    that carries no credential — the public catalog, most of the traffic — skips the limiter's bookkeeping."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, COUNTS_READS, False):
        return False
    return request.method in ("GET", "HEAD") and "Authorization" not in request.headers


def image_limit(kind: str, methods: list[str] | None = None) -> Callable[[Callable], Callable]:
    """Per-address limit for anonymous endpoints that decode (``"decode"``: a photo of a QR) or draw
    (``"render"``: QR images, posters, receipt PDFs) images: they cost CPU and memory that a catalog page
    does not. The figures are CHOSO_IMAGE_DECODE_LIMIT and CHOSO_IMAGE_RENDER_LIMIT."""
    setting = {"decode": "IMAGE_DECODE_LIMIT", "render": "IMAGE_RENDER_LIMIT"}[kind]

    def decorate(view: Callable) -> Callable:
        limited = limiter.shared_limit(lambda: current_app.config[setting], scope=f"images-{kind}",
                                       methods=methods)(view)
        setattr(limited, COUNTS_READS, True)
        return limited

    return decorate


def refusals_left(*key: str) -> bool:
    """Whether ``key`` may still be refused before it is turned away (429), without counting a refusal: what a
    refusal leaves behind (a delivery-log row) is written only while this holds, so a flood of forged requests
    cannot fill the database."""
    if not limiter.enabled:
        return True
    return limiter.limiter.test(parse(current_app.config["REFUSED_LIMIT"]), "refused", *key)


def refused_too_often(*key: str) -> bool:
    """Count one refused credential against ``key`` (an address for API tokens; a source and commune for
    webhook signatures); True once that key was refused more often than CHOSO_REFUSED_LIMIT allows."""
    if not limiter.enabled:  # rate limiting switched off (RATELIMIT_ENABLED=False): nothing is counted
        return False
    return not limiter.limiter.hit(parse(current_app.config["REFUSED_LIMIT"]), "refused", *key)
