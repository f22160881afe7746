"""The values a plugin meets, importable from `plugins` so that no author reads choso's core to find them.

choso's own code uses these same definitions (core.models.products, core.publishing.states), and
tests/plugins/test_sdk_surface.py keeps them equal.
"""

from __future__ import annotations

# The six OCOP product groups of Decision 148/QĐ-TTg (2023): `ProductSnapshot.product_group` is one of these.
PRODUCT_GROUPS = ("food", "beverage", "herbal", "handicraft", "ornamental", "tourism")

# `ProductSnapshot.status`: only "active" products are published.
PRODUCT_STATUSES = ("draft", "active", "archived")

# `ProductSnapshot.unit` is the seller's own word; these are the ones households use most. A marketplace that
# needs a fixed list maps them (and says so in `validate` for any other).
COMMON_UNITS = ("kg", "g", "lít", "ml", "hộp", "gói", "túi", "chai", "lọ", "hũ", "chiếc", "bộ", "bó", "con", "suất")

# Where a listing stands (`ListingSnapshot.state`, the `listing_state_changed` hook).
QUEUED, PUBLISHING, LIVE, REJECTED = "queued", "publishing", "live", "rejected"
FAILED, OUT_OF_SYNC, UNPUBLISHED = "failed", "out_of_sync", "unpublished"
# SDK 1.6: waiting for the household to connect (or reconnect) its own shop on a per-seller marketplace
PAUSED = "paused"
LISTING_STATES = (QUEUED, PUBLISHING, LIVE, REJECTED, FAILED, OUT_OF_SYNC, UNPUBLISHED, PAUSED)
