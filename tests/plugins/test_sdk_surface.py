"""Everything a plugin meets is importable from `plugins` and is the same value core uses (issue 14.9)."""

import plugins
from core.models.products import OCOP_GROUPS, PRODUCT_STATUSES
from core.publishing import states
from core.publishing.moves import listing_snapshot


def test_product_groups_statuses_and_listing_states_are_the_sdks():
    assert tuple(OCOP_GROUPS) == plugins.PRODUCT_GROUPS
    assert PRODUCT_STATUSES == plugins.PRODUCT_STATUSES
    assert states.STATES == plugins.LISTING_STATES and set(states.TRANSITIONS) == set(plugins.LISTING_STATES)


def test_what_hooks_receive_and_facts_are_importable():
    assert listing_snapshot.__annotations__["return"] in ("ListingSnapshot", plugins.ListingSnapshot)
    for name in ("ListingSnapshot", "ProductSnapshot", "RemoteProduct", "Fact", "ProductRow", "FACTS",
                 "COMMON_UNITS", "labelled", "secret_field", "PAYMENT_STATES", "STEP_KINDS"):
        assert name in plugins.__all__ and hasattr(plugins, name), name
    assert "products_active_with_photo" in plugins.FACTS
