"""Order notifications from marketplaces: signature checked by the adapter, stored once, answered fast."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from core import containment
from core.api.base import Unauthorized, bp, error_response
from core.api.spec import operation
from core.db import session
from core.errors import ChosoError, NotFound
from core.orders.services import record_marketplace_order
from core.publishing.adapters import adapter_for, parse_order
from plugins.sdk import ConnectionLapsed, RejectedError, TransientError


@bp.post("/webhooks/marketplaces/<name>/<commune>")
@operation("Order notification from a marketplace (signed with the commune's credentials)", signed=True)
def marketplace_order_webhook(name: str, commune: str):
    db = session()
    adapter = adapter_for(db, commune, name)
    if getattr(adapter, "per_seller", False):
        return _seller_notice(db, adapter, name, commune)
    try:
        remote = parse_order(adapter, name, commune, request.headers, request.get_data())
    except NotImplementedError as exc:  # this marketplace sends no order notifications
        raise NotFound(_("Nothing here.")) from exc
    except PermissionError as exc:
        raise Unauthorized(_("The signature of this notification is not valid."),
                           counted_as=("marketplace", name, commune)) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ChosoError(_("The notification could not be read.")) from exc
    from core.publishing.connections import cancel_for

    order = record_marketplace_order(db, commune, name, remote, cancel=cancel_for(adapter, name, commune))
    return jsonify({"ok": True, "order_id": order.id if order else None})


def _seller_notice(db, adapter, name: str, commune: str):
    """A per-seller marketplace's notification names a shop and its orders: each order is read through that
    household's own connection and recorded once. Answered 200 with an empty body, as Shopee asks."""
    from core.publishing import connections
    from core.snapshots import public_url

    # the address the marketplace posted to, as the commune registered it (Shopee signs it)
    url = public_url(request.full_path if request.query_string else request.path)
    try:
        notice = connections.order_notice(adapter, name, commune, request.headers, request.get_data(), url)
    except NotImplementedError as exc:
        raise NotFound(_("Nothing here.")) from exc
    except PermissionError as exc:
        raise Unauthorized(_("The signature of this notification is not valid."),
                           counted_as=("marketplace", name, commune)) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ChosoError(_("The notification could not be read.")) from exc
    try:
        connections.bring_orders_home(db, name, commune, notice)
    except (TransientError, containment.PluginFailed):  # the marketplace sends it again; polling too
        db.rollback()
        return error_response(503, _("The marketplace could not be reached; the order will be read later."))
    except (ConnectionLapsed, RejectedError):  # not readable through this shop now: polling catches up later
        db.rollback()
    return "", 200
