"""Postmart-style marketplace (built-in plugin): HMAC-signed seller API, numeric category ids."""

from marketplace_adapters.postmart.adapter import PostmartAdapter
from plugins import hookimpl

CHOSO_SDK = ">=1.4,<2"


@hookimpl
def register_marketplaces():
    return [PostmartAdapter]
