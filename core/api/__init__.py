"""REST API under /api/v1: JSON in and out, bearer-token auth, field-level errors in the caller's language.

The routes live with their features and attach to `core.api.base.bp`; `register` gathers them.
"""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestURITooLarge

from core.api.base import MAX_ADDRESS, bp, http_error


def register(app) -> None:
    from core.api import communes, integrations, products, shops, spec  # noqa: F401  (routes attach to bp)
    from core.metrics import views as metric_views  # noqa: F401
    from core.orders import views as order_views  # noqa: F401
    from core.publishing import views, webhooks  # noqa: F401
    from payments import views as payment_views  # noqa: F401

    app.register_blueprint(bp)
    app.register_blueprint(spec.docs_bp)

    @app.before_request
    def _address_within_limits():
        # An API address the app would take apart is refused in the API's own words, before any route runs.
        if request.path.startswith("/api/") and len(request.path) + len(request.query_string) > MAX_ADDRESS:
            return http_error(RequestURITooLarge())
        return None
