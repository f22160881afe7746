"""Dump functions compiled once from marshmallow schemas, for answers served many times a second.

marshmallow walks every value through several generic calls (for a catalog page of 20 products, about as long
as loading them from the database). A compiled dumper reads the same attributes and formats them exactly as
the schema's own fields do, for the field kinds below; any other field, or a schema with dump hooks, is left
to marshmallow itself. The schema stays the one statement of the answer and of the OpenAPI document;
tests/api/test_fast_dump.py proves the two agree field for field.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cache
from typing import Any

from marshmallow import Schema, fields, missing

from core.schemas.common import Dong

_ABSENT = object()
Dumper = Callable[[Any], dict]


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _formatter(field: fields.Field) -> Callable[[Any], Any] | None:
    """How `field` turns an attribute's value into JSON, or None when only marshmallow knows."""
    serialize = type(field)._serialize
    if serialize in (fields.Number._serialize, Dong._serialize) and getattr(field, "num_type", int) is int \
            and not getattr(field, "as_string", False):
        return _number
    if serialize is fields.String._serialize:
        return _text
    if serialize is fields.DateTime._serialize:
        iso = field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
        return None if iso is None else (lambda value: None if value is None else iso(value))
    if serialize is fields.Nested._serialize and isinstance(field.nested, type) and not (field.only or
                                                                                         field.exclude):
        inner = dumper(field.nested)
        if field.many:
            return lambda value: None if value is None else [inner(each) for each in value]
        return lambda value: None if value is None else inner(value)
    if serialize is fields.List._serialize:
        each = _formatter(field.inner)
        if each is None:
            return None
        return lambda value: None if value is None else [each(item) for item in value]
    return None


def _plan(name: str, field: fields.Field) -> tuple[str, Any]:
    """("attr", (attribute, formatter)) when the value is one attribute formatted by a known rule, else
    ("call", reader) for a function of the whole object (Function fields, and marshmallow's own serialize)."""
    attribute = field.attribute or name
    if isinstance(field, fields.Function) and type(field)._serialize is fields.Function._serialize and \
            len(inspect.signature(field.serialize_func).parameters) == 1:
        return "call", field.serialize_func
    formatter = _formatter(field)
    if formatter is None or "." in attribute or field.dump_default is not missing:
        return "call", lambda obj: field.serialize(name, obj)
    return "attr", (attribute, formatter)


@cache
def dumper(schema_class: type[Schema]) -> Dumper:
    """`schema_class().dump` for one object, compiled to one Python function that reads each attribute once."""
    schema = schema_class()
    if any(tag.endswith("dump") for tag, hooks in schema._hooks.items() if hooks):
        return schema.dump
    # generated code, from field names and data keys only (repr-quoted), never from data
    namespace: dict[str, Any] = {"ABSENT": _ABSENT, "MISSING": missing, "number": _number, "text": _text}
    lines = ["def dump(obj):", "    out = {}"]
    for n, (name, field) in enumerate(schema.dump_fields.items()):
        key = repr(field.data_key or name)
        kind, how = _plan(name, field)
        if kind == "attr":
            attribute, formatter = how
            call = {_number: "number", _text: "text"}.get(formatter, f"f{n}")
            namespace.setdefault(call, formatter)
            lines += [f"    v = getattr(obj, {attribute!r}, ABSENT)",
                      f"    if v is not ABSENT: out[{key}] = {call}(v)"]
        else:
            namespace[f"r{n}"] = how
            lines += [f"    v = r{n}(obj)", f"    if v is not MISSING: out[{key}] = v"]
    lines.append("    return out")
    exec(compile("\n".join(lines), f"<dumper of {schema_class.__name__}>", "exec"), namespace)  # noqa: S102
    return namespace["dump"]
