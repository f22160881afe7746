"""Voso-style marketplace (built-in plugin): OAuth2 client-credentials tokens, category paths."""

from marketplace_adapters.voso.adapter import VosoAdapter
from plugins import hookimpl

CHOSO_SDK = ">=1.4,<2"


@hookimpl
def register_marketplaces():
    return [VosoAdapter]
