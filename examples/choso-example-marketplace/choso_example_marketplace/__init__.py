"""Chợ Quê: an example marketplace plugin for choso."""

from choso_example_marketplace.adapter import ChoQueAdapter
from plugins import hookimpl

CHOSO_SDK = ">=1.0,<2"


@hookimpl
def register_marketplaces():
    return [ChoQueAdapter]
