"""Shopee (built-in plugin): Open Platform API v2, each household connecting its own shop (SDK 1.6)."""

from marketplace_adapters.shopee.adapter import ShopeeAdapter
from plugins import hookimpl

CHOSO_SDK = ">=1.6,<2"


@hookimpl
def register_marketplaces():
    return [ShopeeAdapter]
