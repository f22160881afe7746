"""Per-commune switches and settings of plugin-provided integrations (marketplaces, payment sources ...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class IntegrationSetting(Base):
    __tablename__ = "integration_settings"
    __table_args__ = (UniqueConstraint("commune_code", "kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "marketplace", ...
    name: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Fields the plugin's schema marks secret, as one Fernet token; never stored or shown in clear.
    secrets: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PluginFailure(Base):
    """One failed call into plugin code (core/containment.py): what staff and admins see per plugin."""

    __tablename__ = "plugin_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(80), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # exception | timeout | bad_answer | hook_error | refused
    what: Mapped[str] = mapped_column(String(120))  # e.g. "marketplace postmart: publish"
    message: Mapped[str] = mapped_column(String(500))
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
