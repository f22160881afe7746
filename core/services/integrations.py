"""Commune staff switch plugin integrations on and configure them; secrets are encrypted at rest."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import policy
from core.errors import Invalid, NotFound
from core.i18n import translate_errors
from core.models import User
from core.models.integrations import IntegrationSetting
from core.secret_box import seal, unseal
from core.services import audit
from core.services.shops import require

MASK = "••••••"


def secret_fields(schema: type[Schema]) -> set[str]:
    return {name for name, f in schema().fields.items() if f.metadata.get("secret")}


def may_configure(user: User | None, commune_code: str) -> bool:
    return policy.is_commune_staff(user, commune_code)


def get(db: Session, commune_code: str, kind: str, name: str) -> IntegrationSetting | None:
    return db.scalar(select(IntegrationSetting).where(
        IntegrationSetting.commune_code == commune_code, IntegrationSetting.kind == kind,
        IntegrationSetting.name == name))


# Webhooks read these on every call; other processes see a change within this many seconds.
SETTINGS_CACHE_SECONDS = 5.0


def _cache() -> dict:
    return current_app.extensions.setdefault("choso.integration_settings", {})


def settings_for(db: Session, commune_code: str, kind: str, name: str) -> dict[str, Any] | None:
    """The decrypted settings of an enabled integration, or None when the commune has not switched it on."""
    key, now = (commune_code, kind, name), time.monotonic()
    cached = _cache().get(key)
    if cached is not None and now - cached[0] < SETTINGS_CACHE_SECONDS:
        return dict(cached[1]) if cached[1] is not None else None
    row = get(db, commune_code, kind, name)
    value = {**row.settings, **unseal(row.secrets)} if row is not None and row.enabled else None
    _cache()[key] = (now, value)
    return dict(value) if value is not None else None


def enabled_names(db: Session, commune_code: str, kind: str) -> set[str]:
    return set(db.scalars(select(IntegrationSetting.name).where(
        IntegrationSetting.commune_code == commune_code, IntegrationSetting.kind == kind,
        IntegrationSetting.enabled.is_(True))))


def configure(db: Session, actor: User, commune_code: str, kind: str, name: str, schema: type[Schema] | None,
              enabled: bool, values: dict[str, Any]) -> IntegrationSetting:
    require(may_configure(actor, commune_code))
    if schema is None:
        raise NotFound(_("No plugin provides %(name)s.", name=name))
    row = get(db, commune_code, kind, name) or IntegrationSetting(commune_code=commune_code, kind=kind, name=name)
    secrets = secret_fields(schema)
    kept = unseal(row.secrets)
    # A masked or empty secret field means "keep what is stored"; staff never see secrets again.
    for field in secrets:
        if values.get(field) in (None, "", MASK) and field in kept:
            values[field] = kept[field]
    try:
        loaded = schema().load(values)
    except ValidationError as err:
        raise Invalid(_("Some fields are not valid."), translate_errors(err.messages)) from err
    row.enabled = enabled
    row.settings = {k: v for k, v in loaded.items() if k not in secrets}
    row.secrets = seal({k: v for k, v in loaded.items() if k in secrets})
    row.updated_by_id = actor.id
    db.add(row)
    _cache().pop((commune_code, kind, name), None)
    audit.record(db, actor, "integration.configure", kind, name, commune_code=commune_code,
                 details={"enabled": enabled, "fields": sorted(row.settings)})
    db.commit()
    return row


def public_view(row: IntegrationSetting | None, schema: type[Schema]) -> dict[str, Any]:
    """Settings as shown in a form: secrets masked."""
    if row is None:
        return {}
    masked = {field: MASK for field in unseal(row.secrets)}
    return {**row.settings, **masked}
