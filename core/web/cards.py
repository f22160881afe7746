"""Catalog cards, for pages that list dozens of products.

A card is the same few lines 24 times a page; through a Jinja macro with `url_for` each cost about 70 µs,
more than the rest of the page. These give the same markup from work done once per process or request.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, request, url_for
from markupsafe import Markup, escape

from core.i18n import current_translations, grouping, money

_ID, _SLUG = 9_876_543, "choso-slug-marker"


@lru_cache(maxsize=8)
def _product_path(_script_root: str) -> tuple[str, str, str]:
    """The product page's path around its id and slug, from the router once per mount point."""
    path = url_for("catalog.product", product_id=_ID, slug=_SLUG)
    before, rest = path.split(str(_ID), 1)
    between, after = rest.split(_SLUG, 1)
    return before, between, after


def _quote(slug: str) -> str:
    # slugs are folded to a-z, 0-9 and dashes, which need no quoting; anything else goes through the router's own
    if slug.isascii() and slug.replace("-", "").isalnum():
        return slug
    return current_app.url_map.converters["default"](current_app.url_map).to_url(slug)


def ocop_badge(stars: int | None) -> Markup:
    """The OCOP stars badge: ★★★ OCOP, with the rating in words for screen readers and on hover."""
    if not stars:
        return Markup("")
    return _badge(current_translations(), int(stars))


@lru_cache(maxsize=32)
def _badge(translations: Any, stars: int) -> Markup:
    title = translations.ugettext("OCOP %(n)d stars") % {"n": stars}
    return Markup('<span class="stars" title="%s">%s OCOP</span>') % (title, "★" * stars)


def catalog_cards(cards: list, empty: str) -> Markup:
    """The grid of product cards on the catalog and shop pages, from `products.catalog_cards` rows.

    Written here rather than as a Jinja loop: a page shows up to 100 cards, and the loop's per-card calls
    were most of the page's rendering. Every value from the database goes through `escape`.
    """
    if not cards:
        return Markup('<ul class="grid"><li>%s</li></ul>') % empty
    parts = ['<ul class="grid">']
    before, between, after = _product_path(request.script_root)
    translations, separator = current_translations(), grouping()  # once for the page, not per card
    for n, card in enumerate(cards, 1):
        name = escape(card.name)
        if card.cover_thumb:
            thumb, stem = escape(card.cover_thumb), escape(card.cover_thumb.removesuffix(".jpg"))
            picture = (
                f'<picture><source type="image/webp" srcset="/uploads/{stem}-200.webp 200w, '
                f'/uploads/{stem}-400.webp 400w" sizes="(max-width: 40rem) 45vw, 200px">'
                f'<img src="/uploads/{thumb}" alt="{name}" width="200" height="150" '
                f'loading="{"eager" if n <= 2 else "lazy"}" decoding="async"></picture>')
        else:
            picture = '<div class="noimg"></div>'
        href = escape(f"{before}{int(card.id)}{between}{_quote(card.slug)}{after}")
        badge = _badge(translations, int(card.ocop_stars)) if card.ocop_stars else ""
        parts.append(
            f'<li class="card"><a href="{href}">{picture}<strong>{name}</strong></a>'
            f' <span class="price">{money(card.price_vnd, separator)}</span> {badge}'
            f' <small>{escape(card.shop_name)}</small></li>')
    parts.append("</ul>")
    return Markup("".join(parts))  # noqa: S704 (every value above is escaped)
