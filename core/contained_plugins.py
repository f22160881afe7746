"""Payment providers and notification sources as choso calls them: every method through `core.containment`,
with the plugin's deadline and its answer checked against the SDK's types.

Callers keep using the provider's own interface (`start`, `refund`, `verify`, `parse`, …); a plugin that
raises something undocumented, hangs, or answers the wrong shape reaches them as `PluginFailed` (an
`Exception`, which their existing "the service did not answer" paths already handle), recorded for staff.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core import containment
from core.containment import BadAnswer
from plugins.payment import (
    NextStep,
    PaymentDeclined,
    PaymentProvider,
    PaymentUpdate,
    RefundNotSupported,
    RefundResult,
    WebhookRejected,
)
from plugins.sdk import BankNotification, PaymentSource, SourceAuthError


def _instance_of(kind: type, what: str):
    def check(answer: Any) -> Any:
        if not isinstance(answer, kind):
            raise BadAnswer(f"{what} returned {type(answer).__name__}, not {kind.__name__}")
        return answer
    return check


def _updates(answer: Any) -> list[PaymentUpdate]:
    if not isinstance(answer, list | tuple) or not all(isinstance(u, PaymentUpdate) for u in answer):
        raise BadAnswer(f"handle_webhook returned {type(answer).__name__}, not a list of PaymentUpdate")
    return list(answer)


def _text(what: str):
    def check(answer: Any) -> str:
        if not isinstance(answer, str) or not answer or len(answer) > 120:
            raise BadAnswer(f"{what} returned {answer!r}, not a short text")
        return answer
    return check


def _boolean(what: str):
    def check(answer: Any) -> bool:
        if not isinstance(answer, bool):
            raise BadAnswer(f"{what} returned {answer!r}, not True or False")
        return answer
    return check


def _notifications(what: str):
    def check(answer: Any) -> list[BankNotification]:
        if not isinstance(answer, list | tuple):
            raise BadAnswer(f"{what} returned {type(answer).__name__}, not a list of BankNotification")
        for note in answer:
            if not isinstance(note, BankNotification):
                raise BadAnswer(f"{what} returned a {type(note).__name__}, not a BankNotification")
            if (not isinstance(note.transaction_id, str) or not note.transaction_id
                    or len(note.transaction_id) > 120):
                raise BadAnswer(f"{what} returned transaction_id {note.transaction_id!r}")
            if isinstance(note.amount_vnd, bool) or not isinstance(note.amount_vnd, int) or note.amount_vnd < 0:
                raise BadAnswer(f"{what} returned amount_vnd {note.amount_vnd!r}, not a whole number of đồng")
            if not isinstance(note.content, str):
                raise BadAnswer(f"{what} returned content {note.content!r}, not text")
            if not isinstance(note.occurred_at, datetime) or note.occurred_at.tzinfo is None:
                raise BadAnswer(f"{what} returned occurred_at {note.occurred_at!r}, not an aware datetime")
        return list(answer)
    return check


def _acknowledgement(answer: Any) -> tuple[dict[str, Any], int]:
    if (not isinstance(answer, tuple) or len(answer) != 2 or not isinstance(answer[0], dict)
            or not isinstance(answer[1], int) or not 200 <= answer[1] < 300):
        raise BadAnswer(f"acknowledge returned {answer!r}, not (a dict, a 2xx status)")
    return answer


class _Contained:
    """Attributes read through to the plugin's object; listed methods called through containment."""

    _checks: dict[str, tuple[Any, tuple[type[BaseException], ...]]] = {}

    def __init__(self, inner: Any, plugin: str, display: str, commune_code: str | None) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_plugin", plugin)
        object.__setattr__(self, "_display", display)
        object.__setattr__(self, "_commune", commune_code)
        object.__setattr__(self, "_deadline",
                           containment.deadline_for(getattr(inner, "call_timeout", None)))

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name not in self._checks or not callable(value):
            return value
        check, passthrough = self._checks[name]

        def contained(*args: Any, **kwargs: Any) -> Any:
            return containment.call(self._plugin, f"{self._kind} {self._name}: {name}", value, *args,
                                    display=self._display, deadline=self._deadline, check=check,
                                    passthrough=passthrough, commune_code=self._commune, **kwargs)
        return contained

    @property
    def unwrapped(self) -> Any:
        return self._inner


class ContainedProvider(_Contained):
    _kind = "payment provider"
    _checks = {
        "is_available": (_boolean("is_available"), ()),
        "matching_id": (_text("matching_id"), ()),
        "start": (_instance_of(NextStep, "start"), (PaymentDeclined,)),
        "confirm": (_instance_of(PaymentUpdate, "confirm"), (PaymentDeclined,)),
        "handle_webhook": (_updates, (WebhookRejected,)),
        "cancel": (None, ()),
        "refund": (_instance_of(RefundResult, "refund"), (RefundNotSupported, PaymentDeclined)),
    }

    @property
    def _name(self) -> str:
        return str(getattr(self._inner, "identifier", "?"))


class ContainedSource(_Contained):
    _kind = "payment source"
    _checks = {
        "verify": (None, (PermissionError,)),
        # a body the source cannot read is its documented answer: "the notification could not be read"
        "parse": (_notifications("parse"), (ValueError, KeyError, TypeError)),
        "acknowledge": (_acknowledgement, ()),
        "can_list": (_boolean("can_list"), ()),
        # a refused key is the documented answer staff must act on; anything else is a failed poll
        "list_transactions": (_notifications("list_transactions"), (SourceAuthError,)),
    }

    @property
    def _name(self) -> str:
        return str(getattr(self._inner, "name", "?"))


def provider(cls: type[PaymentProvider], settings: Mapping[str, Any], plugin: str,
             commune_code: str) -> ContainedProvider:
    display = containment.display_name(cls, str(getattr(cls, "identifier", plugin)))
    inner = containment.call(plugin, f"payment provider {getattr(cls, 'identifier', '?')}: start up", cls,
                             settings, display=display, commune_code=commune_code)
    return ContainedProvider(inner, plugin, display, commune_code)


def source(cls: type[PaymentSource], settings: Mapping[str, Any], plugin: str, commune_code: str) -> ContainedSource:
    display = containment.display_name(cls, str(getattr(cls, "name", plugin)))
    inner = containment.call(plugin, f"payment source {getattr(cls, 'name', '?')}: start up", cls, settings,
                             display=display, commune_code=commune_code)
    return ContainedSource(inner, plugin, display, commune_code)
