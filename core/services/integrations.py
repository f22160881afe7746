"""Commune staff switch plugin integrations on and configure them; secrets are encrypted at rest."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import containment
from core.auth import policy
from core.errors import Invalid, NotFound
from core.i18n import translate_errors
from core.models import User
from core.models.integrations import IntegrationSetting
from core.net import private_address
from core.secret_box import seal, unseal
from core.services import audit
from core.services.shops import require
from plugins.sdk import MIN_SECRET_LENGTH

MASK = "••••••"
log = logging.getLogger("choso.integrations")


def plugin_of(kind: str, name: str) -> str:
    """The plugin that registered integration `name` of `kind` ("marketplace", "payment_source", ...)."""
    from core.events import plugins

    return plugins().owners.get((kind.replace("_", " "), name), name)


def display_of(kind: str, name: str) -> str:
    """How staff know integration `name`: its plugin's display name (verbose name for a payment provider)."""
    from core.events import plugins

    registry = {"marketplace": "marketplaces", "payment_source": "payment_sources",
                "payment_provider": "payment_providers"}.get(kind)
    cls = getattr(plugins(), registry, {}).get(name) if registry else None
    return containment.display_name(cls, name)


def field_words(schema: type[Schema]) -> dict[str, dict[str, str]]:
    """Each settings field's label and help in the reader's language (`plugins.labelled`), else its name."""
    from flask_babel import get_locale

    lang = str(get_locale() or "vi")[:2]

    def pick(words: Any) -> str:
        return str(words.get(lang) or words.get("vi") or words.get("en") or "") if isinstance(words, dict) else ""

    found = schema().fields.items()
    # a plugin that gave no label (plugins.labelled) still shows words, not `api_key`
    return {"labels": {name: pick(f.metadata.get("label")) or name.replace("_", " ").capitalize()
                       for name, f in found},
            "help": {name: pick(f.metadata.get("help")) for name, f in schema().fields.items()
                     if pick(f.metadata.get("help"))}}


def secret_fields(schema: type[Schema]) -> set[str]:
    return {name for name, f in schema().fields.items() if f.metadata.get("secret")}


def address_fields(schema: type[Schema]) -> set[str]:
    """Settings that say where choso sends requests (and so where the secrets go)."""
    return {name for name, f in schema().fields.items() if isinstance(f, fields.Url)}


def _allow_private() -> bool:
    return bool(current_app.config.get("ALLOW_PRIVATE_ADDRESSES"))


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
    if value is not None and not _usable(value, unseal(row.secrets), (commune_code, kind, name)):
        value = None
    _cache()[key] = (now, value)
    return dict(value) if value is not None else None


def _usable(settings: dict[str, Any], secrets: dict[str, Any], which: tuple[str, str, str]) -> bool:
    """Settings saved before today's rules (a short secret, a private address) switch the integration off."""
    if any(len(str(v or "")) < MIN_SECRET_LENGTH for v in secrets.values() if v is not None):
        log.warning("integration %s: a secret is shorter than %d characters; treated as off", which,
                    MIN_SECRET_LENGTH)
        return False
    if not _allow_private():
        for value in settings.values():
            if isinstance(value, str) and value.startswith(("http://", "https://")) and private_address(value):
                log.warning("integration %s: %s leads to a private address; treated as off", which, value)
                return False
    return True


def enabled_names(db: Session, commune_code: str, kind: str) -> set[str]:
    return set(db.scalars(select(IntegrationSetting.name).where(
        IntegrationSetting.commune_code == commune_code, IntegrationSetting.kind == kind,
        IntegrationSetting.enabled.is_(True))))


def configure(db: Session, actor: User, commune_code: str, kind: str, name: str, schema: type[Schema] | None,
              enabled: bool, values: dict[str, Any], *, test_connection: bool = False) -> IntegrationSetting:
    """Save an integration's settings for a commune. With `test_connection` (the staff page and API), a
    marketplace switched on is asked to prove the settings work before anything is saved."""
    require(may_configure(actor, commune_code))
    if schema is None:
        raise NotFound(_("No plugin provides %(name)s.", name=name))
    row = get(db, commune_code, kind, name) or IntegrationSetting(commune_code=commune_code, kind=kind, name=name)
    what = f"{kind.replace('_', ' ')} {name}: settings schema"
    secrets, addresses = containment.call(plugin_of(kind, name), what,
                                          lambda: (secret_fields(schema), address_fields(schema)),
                                          display=display_of(kind, name), commune_code=commune_code)
    kept = unseal(row.secrets)
    # Secrets go only to the address they were entered for: a changed address needs them typed again.
    moved = {f for f in addresses if row.id is not None and f in values
             and str(values[f] or "") != str(row.settings.get(f) or "")}
    problems: dict[str, list[str]] = {}
    # A masked or empty secret field means "keep what is stored"; staff never see secrets again.
    for field in secrets:
        if values.get(field) in (None, "", MASK) and field in kept:
            if moved:
                problems[field] = [_("The address changed: enter this secret again.")]
            values[field] = kept[field]
        elif values.get(field) in (None, "") and field not in kept:
            values.pop(field, None)  # an optional secret left empty (a required one is refused by its schema)
    try:  # the schema is the plugin's code: only its documented ValidationError reaches the form as such
        loaded = containment.call(plugin_of(kind, name), what, lambda: schema().load(values),
                                  passthrough=(ValidationError,), display=display_of(kind, name),
                                  commune_code=commune_code)
    except ValidationError as err:
        raise Invalid(_("Some fields are not valid."), {**translate_errors(err.messages), **problems}) from err
    problems.update(_rules(schema, loaded, secrets) if enabled else {})
    if problems:
        raise Invalid(_("Some fields are not valid."), problems)
    if test_connection and enabled and kind == "marketplace":
        _check_connection(commune_code, name, loaded)
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


def _check_connection(commune_code: str, name: str, settings: dict[str, Any]) -> None:
    from core.events import plugins
    from plugins.sdk import MarketplaceError

    cls = plugins().marketplaces.get(name)
    if cls is None:
        return
    shown = display_of("marketplace", name)
    try:
        containment.call(plugin_of("marketplace", name), f"marketplace {name}: check connection",
                         lambda: cls(settings).check_connection(), deadline=containment.deadline_for(
                             getattr(cls, "call_timeout", None)), passthrough=(MarketplaceError,),
                         display=shown, commune_code=commune_code)
    except MarketplaceError as refused:
        msg = _("%(name)s did not accept these settings: %(reason)s", name=shown, reason=str(refused))
        raise Invalid(msg, {"_": [msg]}) from refused
    except containment.PluginFailed as failure:
        raise Invalid(failure.for_people, {"_": [failure.for_people]}) from failure


def _rules(schema: type[Schema], loaded: dict[str, Any], secrets: set[str]) -> dict[str, list[str]]:
    """choso's own rules for every integration, whatever its plugin's schema says."""
    problems: dict[str, list[str]] = {}
    for field in secrets:
        if field in loaded and len(str(loaded.get(field) or "")) < MIN_SECRET_LENGTH:
            problems[field] = [_("A secret needs at least %(n)d characters; copy it whole from the service.",
                                 n=MIN_SECRET_LENGTH)]
    if not _allow_private():
        for field in address_fields(schema):
            if loaded.get(field) and (address := private_address(str(loaded[field]))):
                problems[field] = [_("This address leads to %(address)s, a private or local address; choso "
                                     "only calls public services.", address=address)]
    return problems


def public_view(row: IntegrationSetting | None, schema: type[Schema]) -> dict[str, Any]:
    """Settings as shown in a form: secrets masked."""
    if row is None:
        return {}
    masked = {field: MASK for field in unseal(row.secrets)}
    return {**row.settings, **masked}
