"""Chợ Quê: an example marketplace plugin for choso."""

from plugins import hookimpl

from choso_example_marketplace.adapter import ChoQueAdapter

CHOSO_SDK = ">=1.0,<2"


@hookimpl
def register_marketplaces():
    return [ChoQueAdapter]
