"""Server-rendered pages: public catalog, sign-in, household and helper dashboards, account."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, send_from_directory


def register(app: Flask) -> None:
    from core.web import account, admin, auth, catalog, dashboard, helpers

    for module in (auth, catalog, dashboard, account, admin, helpers):
        app.register_blueprint(module.bp)
    from core.metrics import pages as metric_pages
    from core.orders import pages as order_pages
    from core.publishing import pages as connection_pages
    from payments import pages as payment_pages

    app.register_blueprint(payment_pages.bp)
    app.register_blueprint(order_pages.bp)
    app.register_blueprint(metric_pages.bp)
    app.register_blueprint(connection_pages.bp)

    @app.context_processor
    def _cart() -> dict[str, Any]:
        from core.orders import cart

        return {"cart_count": cart.count}

    @app.get("/uploads/<path:name>")
    def uploads(name: str):
        from core.services import images
        from core.storage import storage

        try:
            if name.endswith(".webp") and not storage().exists(name):
                images.variant_for(storage(), name)  # made once from the JPEG thumbnail, then served as a file
        except ValueError:  # a name that leaves the upload folder
            abort(404)
        response = send_from_directory(app.config["UPLOAD_DIR"], name, max_age=30 * 86400)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
