"""A tool's MCP ``inputSchema`` and ``outputSchema`` from its pydantic models, compacted: every token of
``tools/list`` costs the agent context, so what adds nothing for the model reading it is dropped.

Dropped: pydantic's ``title`` s, the request class's docstring (write docs for people elsewhere), ``null``
defaults, and the ``null`` branch of optional fields (``anyOf: [X, null]`` becomes ``X``: leaving an optional
field out is how an agent says "none"). Field descriptions, types, bounds, enums and defaults stay.
"""

from __future__ import annotations

from typing import Any


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (a pydantic JSON schema) without what costs tokens and says nothing (see the module)."""
    out = _compact(schema)
    out.pop("description", None)
    out["additionalProperties"] = schema.get("additionalProperties", False)
    return out  # type: ignore[no-any-return]


def _compact(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: _compact(prop) for name, prop in value.items()}
        else:
            out[key] = _compact(value)
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            del out["anyOf"]
            out = {**kept[0], **out}
        elif len(kept) < len(options):
            out["anyOf"] = kept
    return out


#: JSON types a summary keeps (anything else, such as a nested model, is an ``object``).
_JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})


#: The ``data`` of a call that became a background job (a tool with ``background = True``).
JOB_HANDLE = {"type": "object", "properties": {"job_id": {"type": "string"}}, "required": ["job_id"]}


def output_schema(data_schema: dict[str, Any], *, job_handle: bool = False) -> dict[str, Any]:
    """The ``outputSchema`` of a tool whose ``data`` has ``data_schema``: Zen's result envelope (``status``,
    ``data``; ``metadata`` and ``request_id`` too, unlisted) around the data's required fields and their JSON
    types. Optional fields and descriptions are left out: clients check results with it, and every byte of
    it is in ``tools/list``. With ``job_handle``, ``data`` may also be a background job's handle.

    ``data_schema`` may be a union of object models (a ``RootModel[A | B]``): ``data`` is then any of them."""
    options = [summarize(_resolved(option, data_schema)) for option in data_schema.get("anyOf", [data_schema])]
    if job_handle:
        options.append(JOB_HANDLE)
    return {
        "type": "object",
        "properties": {"status": {"type": "string"}, "data": options[0] if len(options) == 1 else {"anyOf": options}},
        "required": ["status", "data"],
    }


def _resolved(option: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``option`` itself, or the definition its ``$ref`` names in ``schema``'s ``$defs``."""
    ref = option.get("$ref")
    if not isinstance(ref, str):
        return option
    found: dict[str, Any] = schema.get("$defs", {})[ref.rsplit("/", 1)[-1]]
    return found


def summarize(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema reduced to its required fields and their JSON types."""
    required = list(schema.get("required", []))
    props = {name: {"type": _types(schema["properties"][name])} for name in required}
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def _types(prop: dict[str, Any]) -> str | list[str]:
    found: list[str] = []
    for option in prop.get("anyOf", [prop]):
        kind = option.get("type", "object")  # a $ref is a nested model: an object
        for name in kind if isinstance(kind, list) else [kind]:
            if name in _JSON_TYPES and name not in found:
                found.append(name)
    return found[0] if len(found) == 1 else found or "object"
