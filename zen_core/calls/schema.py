"""A tool's MCP ``inputSchema`` from its request model, compacted: every schema token costs the agent
context on every turn, so what adds nothing for the model reading it is dropped.

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
