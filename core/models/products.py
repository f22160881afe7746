"""Products of household businesses: OCOP certification, farm details, price in đồng, photos."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.models.households import HouseholdBusiness
from plugins.values import PRODUCT_GROUPS, PRODUCT_STATUSES  # noqa: F401  (re-exported)

# The six OCOP product groups of Decision 148/QĐ-TTg (2023).
_GROUP_LABELS = {
    "food": _l("Food"),
    "beverage": _l("Beverages"),
    "herbal": _l("Medicinal herbs and herbal products"),
    "handicraft": _l("Handicrafts"),
    "ornamental": _l("Ornamental plants and animals"),
    "tourism": _l("Community and agricultural tourism services"),
}
OCOP_GROUPS = {group: _GROUP_LABELS[group] for group in PRODUCT_GROUPS}  # the SDK's list, in its order


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_vnd >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5", name="ocop_stars_range"),
        # the public catalog: one commune's active products, newest first, read a page at a time
        Index("ix_products_catalog", "commune_code", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    # Denormalised from the household so the public catalog filters one table.
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    name: Mapped[str] = mapped_column(String(150))
    slug: Mapped[str] = mapped_column(String(90))
    search_text: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    product_group: Mapped[str] = mapped_column(String(20), index=True)
    ocop_stars: Mapped[int | None] = mapped_column(index=True)
    ocop_certificate_no: Mapped[str | None] = mapped_column(String(60))
    ocop_issued_on: Mapped[date | None]
    ocop_expires_on: Mapped[date | None]
    origin: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(30), default="")
    net_weight_g: Mapped[int | None]
    shelf_life_days: Mapped[int | None]
    season: Mapped[str] = mapped_column(String(100), default="")
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(default=0)
    sku: Mapped[str | None] = mapped_column(String(40))
    # The key of the form that created it: a form sent twice (a slow link, a tap on "back") creates one product
    creation_key: Mapped[str | None] = mapped_column(String(43), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    household: Mapped[HouseholdBusiness] = relationship(lazy="joined")
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductImage.position",
        lazy="selectin",
    )

    @property
    def cover(self) -> ProductImage | None:
        return self.images[0] if self.images else None


class ProductImage(Base):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    bytes: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="images")


class CatalogVersion(Base):
    """A counter per commune, bumped in the same transaction as any change to its shops or products.

    Cached catalog responses carry the version they were built from; a different version means rebuild.
    """

    __tablename__ = "catalog_versions"

    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # how many products the commune's public catalog lists (active, of an open shop), counted again by every
    # flush that bumps the version, so catalog pages read it instead of counting thousands of products
    on_sale: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
