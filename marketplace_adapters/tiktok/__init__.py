"""TikTok Shop (built-in plugin): Partner API 202309, each household connecting its own shop (SDK 1.6)."""

from marketplace_adapters.tiktok.adapter import TikTokAdapter
from plugins import hookimpl

CHOSO_SDK = ">=1.6,<2"


@hookimpl
def register_marketplaces():
    return [TikTokAdapter]
