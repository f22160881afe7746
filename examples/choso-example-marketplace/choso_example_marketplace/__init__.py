"""Chợ Quê: an example marketplace plugin for choso, with an indicator of its own."""

from plugins import Metric, Share, hookimpl

from choso_example_marketplace.adapter import ChoQueAdapter

CHOSO_SDK = ">=1.4,<2"


class ChoQueProductShare(Metric):
    """How much of the commune's catalog is on Chợ Quê: counted by choso, shaped here."""

    id = "choque_product_share"
    label = "Sản phẩm trên Chợ Quê"
    definition = "Sản phẩm đang bán trên Chợ Quê, trên tổng số sản phẩm đang bán của xã."
    formula = "products_live.choque ÷ products_active"
    unit = "share"
    target, near = 0.3, 0.1

    def compute(self, facts):
        return Share(facts.get("products_live.choque", 0), facts.get("products_active", 0))


@hookimpl
def register_marketplaces():
    return [ChoQueAdapter]


@hookimpl
def register_metrics():
    return [ChoQueProductShare]
