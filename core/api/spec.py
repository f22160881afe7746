"""OpenAPI 3 document generated from the marshmallow schemas, and a light page to browse it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify, render_template
from marshmallow import Schema
from werkzeug.routing import IntegerConverter

docs_bp = Blueprint("api_docs", __name__, url_prefix="/api")

_ERROR = {"$ref": "#/components/schemas/Error"}


def operation(summary: str, *, query: type[Schema] | None = None, body: type[Schema] | Schema | None = None,
              response: type[Schema] | None = None, many: bool = False, auth: bool = False,
              signed: bool = False, status: int = 200, content: str = "application/json") -> Callable:
    """Describe an API view for the OpenAPI document; the schemas are the ones the view validates with.
    `auth`: a bearer token; `signed`: a webhook, authenticated by its sender's signature or key. A `body` given
    as a schema instance (an edit's `partial`, fields left out) is documented as that instance loads."""

    def attach(view: Callable) -> Callable:
        view.__openapi__ = {"summary": summary, "query": query, "body": body, "response": response,
                            "many": many, "auth": auth, "signed": signed, "status": status, "content": content}
        return view

    return attach


# A row id in a path, as RowIdConverter reads it (a larger number finds nothing: 404).
_ROW_ID = {"type": "integer", "format": "int64", "minimum": 0}  # larger than MAX_ID: read as 0, "not found"


def _refusals(meta: dict[str, Any], method: str) -> list[tuple[str, str]]:
    """Every error status the operation can answer, in the Error shape (docs/api.md says when)."""
    found = [("400", "malformed request"), ("404", "not found"), ("414", "address too long"),
             ("422", "invalid fields"), ("429", "too many requests")]
    if meta["auth"] or meta["signed"]:
        found += [("401", "no valid token or signature")]
    if meta["auth"]:
        found += [("403", "not allowed")]
    if method != "get":
        found += [("409", "conflicts with the current state (already done, changed meanwhile)")]
    if meta["content"] == "multipart/form-data":
        found += [("413", "upload too large")]
    return sorted(found)


def _operation(spec: APISpec, meta: dict[str, Any], path_params: dict[str, bool],
               method: str = "get") -> dict[str, Any]:
    """`path_params`: each path parameter's name, and whether it is an integer id."""
    op: dict[str, Any] = {"summary": meta["summary"], "parameters": [], "responses": {}}
    for name, is_id in sorted(path_params.items()):
        op["parameters"].append({"in": "path", "name": name, "required": True,
                                 "schema": dict(_ROW_ID) if is_id else {"type": "string"}})
    if meta["query"]:
        op["parameters"].append({"in": "query", "schema": meta["query"]})
    if meta["content"] == "multipart/form-data":
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}}}}
    elif meta["body"]:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["body"]}}}
    ok: dict[str, Any] = {"description": "OK"}
    if meta["response"]:
        schema: Any = meta["response"]
        if meta["many"]:
            schema = {"type": "object", "properties": {
                "items": {"type": "array", "items": schema}, "meta": {"$ref": "#/components/schemas/PageMeta"}}}
        ok["content"] = {"application/json": {"schema": schema}}
    elif meta["content"] == "text/csv":
        ok["content"] = {"text/csv": {"schema": {"type": "string"}}}
    op["responses"][str(meta["status"])] = ok
    for code, why in _refusals(meta, method):
        op["responses"][code] = {"description": why, "content": {"application/json": {"schema": _ERROR}}}
    if meta["auth"]:
        op["security"] = [{"bearer": []}]
    return op


def _schema_name(schema: type[Schema] | Schema) -> str:
    """A component's name: the schema's, and for an instance that loads less (an edit, a field left out)
    `…Edit` or `…Input`, so generated clients get a class name that says which it is."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, Schema) and (schema.partial or schema.exclude or schema.only):
        return name + ("Edit" if schema.partial else "Input")
    return name


def build_spec(app) -> dict[str, Any]:
    spec = APISpec(title="choso API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
                   info={"description": "Catalog of OCOP and farm products of household businesses."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "status": {"type": "integer"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": True}}}}})
    spec.components.schema("PageMeta", {"type": "object", "properties": {
        k: {"type": "integer"} for k in ("page", "per_page", "total", "pages")}})
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "__openapi__", None)
        if meta is None:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            ids = {arg: isinstance(rule._converters.get(arg), IntegerConverter) for arg in rule.arguments}
            operation = _operation(spec, meta, ids, method.lower())
            # the view's name: what a generated client calls the function (`create_product`, `pay_part`)
            operation["operationId"] = rule.endpoint.rpartition(".")[2]
            paths.setdefault(path, {})[method.lower()] = operation
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()


@docs_bp.get("/openapi.json")
def openapi_json():
    return jsonify(current_app.extensions.setdefault("choso.openapi", build_spec(current_app)))


@docs_bp.get("/docs")
def api_docs():
    spec = current_app.extensions.setdefault("choso.openapi", build_spec(current_app))
    return render_template("api_docs.html", spec=spec)
