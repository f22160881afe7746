"""Order notifications from marketplaces: signature checked by the adapter, stored once, answered fast."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from core.api import Unauthorized, bp
from core.api.spec import operation
from core.db import session
from core.errors import ChosoError, NotFound
from core.orders.services import record_marketplace_order
from core.publishing.services import adapter_for, parse_order


@bp.post("/webhooks/marketplaces/<name>/<commune>")
@operation("Order notification from a marketplace (signed with the commune's credentials)", signed=True)
def marketplace_order_webhook(name: str, commune: str):
    db = session()
    adapter = adapter_for(db, commune, name)
    try:
        remote = parse_order(adapter, name, commune, request.headers, request.get_data())
    except NotImplementedError as exc:  # this marketplace sends no order notifications
        raise NotFound(_("Nothing here.")) from exc
    except PermissionError as exc:
        raise Unauthorized(_("The signature of this notification is not valid."),
                           counted_as=("marketplace", name, commune)) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ChosoError(_("The notification could not be read.")) from exc
    order = record_marketplace_order(db, commune, name, remote)
    return jsonify({"ok": True, "order_id": order.id if order else None})
