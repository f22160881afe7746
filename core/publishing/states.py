"""Listing states and the moves allowed between them; every state change goes through `move`."""

from __future__ import annotations

# The names are the SDK's (plugins.values), so plugins and core cannot disagree:
# queued       waiting for a worker (first publication, an update, or a retry)
# publishing   a worker is talking to the marketplace right now
# live         on the marketplace, matching what choso last sent
# rejected     the marketplace refused it; the seller must fix the problems
# failed       gave up after repeated transient errors (or an unusable answer); the reason is kept
# out_of_sync  live, but the product changed since; an update is queued
# unpublished  taken down (or never put up) on request
# paused       waiting for the household to connect (or reconnect) its own shop on a per-seller marketplace
from plugins.values import (  # noqa: E402
    FAILED,
    LISTING_STATES,
    LIVE,
    OUT_OF_SYNC,
    PAUSED,
    PUBLISHING,
    QUEUED,
    REJECTED,
    UNPUBLISHED,
)

STATES = LISTING_STATES

TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({PUBLISHING, UNPUBLISHED, PAUSED}),
    PUBLISHING: frozenset({LIVE, REJECTED, FAILED, QUEUED, UNPUBLISHED, OUT_OF_SYNC, PAUSED}),
    LIVE: frozenset({OUT_OF_SYNC, PUBLISHING, UNPUBLISHED}),
    OUT_OF_SYNC: frozenset({PUBLISHING, UNPUBLISHED, QUEUED, PAUSED}),
    REJECTED: frozenset({QUEUED, UNPUBLISHED}),
    FAILED: frozenset({QUEUED, UNPUBLISHED}),
    UNPUBLISHED: frozenset({QUEUED}),
    PAUSED: frozenset({QUEUED, OUT_OF_SYNC, UNPUBLISHED}),
}

# States in which the seller's product may be (or is about to be) on the marketplace.
ACTIVE = frozenset({QUEUED, PUBLISHING, LIVE, OUT_OF_SYNC, PAUSED})


class InvalidTransition(ValueError):
    pass


def check(old: str, new: str) -> None:
    if new not in TRANSITIONS.get(old, frozenset()):
        raise InvalidTransition(f"a listing cannot go from {old} to {new}")
