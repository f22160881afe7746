"""A listing's moves between states, told to plugins, and its turn in the job queue.

The pipeline (`core.publishing.services`) and sellers' own connections (`core.publishing.connections`) both
move listings; the rules live here, once: `states.check` refuses a move the state machine does not have.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import events
from core.jobs.queue import enqueue
from core.models import Product
from core.publishing import states
from core.publishing.adapters import snapshot_for
from core.publishing.models import Listing
from plugins.sdk import ListingSnapshot

JOB = "listing.sync"


def listing_snapshot(listing: Listing) -> ListingSnapshot:
    return ListingSnapshot(listing.id, listing.product_id, listing.marketplace, listing.state, listing.remote_id,
                           listing.remote_url, tuple(listing.problems or ()), listing.last_error)


def move(listing: Listing, new: str, changes: list[tuple[Listing, str, str]]) -> None:
    if listing.state == new:
        return
    states.check(listing.state, new)
    changes.append((listing, listing.state, new))
    listing.state = new


def announce(changes: list[tuple[Listing, str, str]]) -> None:
    for listing, old, new in changes:
        events.fire("listing_state_changed", listing=listing_snapshot(listing), old_state=old, new_state=new)


def queue(db: Session, listing: Listing) -> None:
    enqueue(db, JOB, {"listing_id": listing.id}, key=f"listing:{listing.id}")


def pause(listing: Listing, reason: str, changes: list[tuple[Listing, str, str]]) -> None:
    """The listing waits for its household to connect (or reconnect) its own shop, saying why."""
    if listing.state == states.LIVE:
        move(listing, states.OUT_OF_SYNC, changes)
    if listing.state != states.PAUSED:
        move(listing, states.PAUSED, changes)
    listing.last_error, listing.next_retry_at = reason[:2000], None


def product_changed(db: Session, product: Product) -> None:
    """After a product edit: live listings go out of sync and get an update; archiving takes them down."""
    listings = list(db.scalars(select(Listing).where(Listing.product_id == product.id)))
    if not listings:
        return
    changes: list[tuple[Listing, str, str]] = []
    for listing in listings:
        if product.status != "active":
            if listing.desired == "live" and listing.state != states.UNPUBLISHED:
                listing.desired = "unpublished"
                if listing.remote_id is None and listing.state != states.PUBLISHING:
                    move(listing, states.UNPUBLISHED, changes)
                else:
                    queue(db, listing)
            continue
        if listing.desired != "live":
            continue
        if listing.state == states.LIVE and listing.sent_hash != snapshot_for(listing).version:
            move(listing, states.OUT_OF_SYNC, changes)
            queue(db, listing)
        elif listing.state in (states.PUBLISHING, states.QUEUED, states.OUT_OF_SYNC):
            queue(db, listing)  # the running job may have sent the old content; check again after it
    db.commit()
    announce(changes)
