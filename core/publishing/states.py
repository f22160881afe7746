"""Listing states and the moves allowed between them; every state change goes through `move`."""

from __future__ import annotations

QUEUED = "queued"            # waiting for a worker (first publication, an update, or a retry)
PUBLISHING = "publishing"    # a worker is talking to the marketplace right now
LIVE = "live"                # on the marketplace, matching what choso last sent
REJECTED = "rejected"        # the marketplace refused it; the seller must fix the problems
FAILED = "failed"            # gave up after repeated transient errors; the reason is kept
OUT_OF_SYNC = "out_of_sync"  # live, but the product changed since; an update is queued
UNPUBLISHED = "unpublished"  # taken down (or never put up) on request

STATES = (QUEUED, PUBLISHING, LIVE, REJECTED, FAILED, OUT_OF_SYNC, UNPUBLISHED)

TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({PUBLISHING, UNPUBLISHED}),
    PUBLISHING: frozenset({LIVE, REJECTED, FAILED, QUEUED, UNPUBLISHED, OUT_OF_SYNC}),
    LIVE: frozenset({OUT_OF_SYNC, PUBLISHING, UNPUBLISHED}),
    OUT_OF_SYNC: frozenset({PUBLISHING, UNPUBLISHED, QUEUED}),
    REJECTED: frozenset({QUEUED, UNPUBLISHED}),
    FAILED: frozenset({QUEUED, UNPUBLISHED}),
    UNPUBLISHED: frozenset({QUEUED}),
}

# States in which the seller's product may be (or is about to be) on the marketplace.
ACTIVE = frozenset({QUEUED, PUBLISHING, LIVE, OUT_OF_SYNC})


class InvalidTransition(ValueError):
    pass


def check(old: str, new: str) -> None:
    if new not in TRANSITIONS.get(old, frozenset()):
        raise InvalidTransition(f"a listing cannot go from {old} to {new}")
