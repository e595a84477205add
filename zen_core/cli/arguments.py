"""``zen call`` arguments: ``--json OBJECT`` and ``--arg KEY=VALUE`` pairs, read as the tool's input
schema types them.

A value is parsed as JSON when it is JSON, else taken as text; then, per the property's schema:

- a list field takes each ``--arg`` of its key as one item (``--arg files=/a`` is ``["/a"]``; repeat
  the key for more; a JSON array value is taken as the whole list);
- a string field keeps the text as typed (``--arg prompt=42`` is ``"42"``, not ``42``).

A key the schema does not know keeps the plain reading (a repeated key makes a list).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

Schema = Mapping[str, Any]


def split_pairs(pairs: tuple[str, ...]) -> list[tuple[str, str]]:
    """``KEY=VALUE`` pairs as (key, text); a usage error names the malformed one."""
    split = []
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--arg")
        split.append((key, text))
    return split


def json_object(raw_json: str | None) -> dict[str, Any]:
    """The ``--json`` object (empty without one)."""
    if not raw_json:
        return {}
    try:
        loaded = json.loads(raw_json)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--json") from exc
    if not isinstance(loaded, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--json")
    return loaded


def build_arguments(
    base: Mapping[str, Any], pairs: list[tuple[str, str]], schema: Schema | None = None
) -> dict[str, Any]:
    """``base`` (from ``--json``) plus the ``--arg`` pairs, typed by ``schema`` (the tool's ``inputSchema``)."""
    arguments = dict(base)
    grouped: dict[str, list[str]] = {}
    for key, text in pairs:
        grouped.setdefault(key, []).append(text)
    for key, texts in grouped.items():
        prop = _property(schema, key)
        is_list = "array" in _kinds(prop, schema)
        if prop is not None and is_list:
            values = _list_items(texts, _items(prop, schema), schema)
        else:
            kinds = _kinds(prop, schema)
            values = [_value(text, kinds) for text in texts]
        if key in arguments:
            previous = arguments[key]
            values = [*(previous if isinstance(previous, list) else [previous]), *values]
        arguments[key] = values if is_list or len(values) > 1 else values[0]
    return arguments


def _list_items(texts: list[str], items: Schema | None, root: Schema | None) -> list[Any]:
    """The items of a list field: one per ``--arg``, or the one ``--arg`` that is a JSON array."""
    if len(texts) == 1:
        try:
            whole = json.loads(texts[0])
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, list):
            return whole
    kinds = _kinds(items, root)
    return [_value(text, kinds) for text in texts]


def _value(text: str, kinds: set[str]) -> Any:
    """``text`` read as JSON when it is, unless the field takes only text (then it stays text)."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return text
    if kinds and kinds <= {"string", "null"} and not isinstance(parsed, str):
        return None if parsed is None and "null" in kinds else text
    return parsed


def _resolve(node: Schema, root: Schema | None) -> Schema:
    """Follow a local ``$ref`` (``#/$defs/Name``) within ``root``."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and root is not None:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        if isinstance(target, Mapping):
            return target
    return node


def _property(schema: Schema | None, key: str) -> Schema | None:
    if schema is None:
        return None
    props = schema.get("properties")
    prop = props.get(key) if isinstance(props, Mapping) else None
    return _resolve(prop, schema) if isinstance(prop, Mapping) else None


def _alternatives(node: Schema, root: Schema | None) -> list[Schema]:
    """``node`` and the schemas of its ``anyOf`` / ``oneOf`` / ``allOf`` (resolved, recursively)."""
    found = [node]
    for combinator in ("anyOf", "oneOf", "allOf"):
        for option in node.get(combinator) or []:
            if isinstance(option, Mapping):
                found += _alternatives(_resolve(option, root), root)
    return found


def _kinds(node: Schema | None, root: Schema | None) -> set[str]:
    """The JSON types a schema admits (empty when it does not say)."""
    if node is None:
        return set()
    kinds: set[str] = set()
    for option in _alternatives(_resolve(node, root), root):
        declared = option.get("type")
        kinds |= {declared} if isinstance(declared, str) else {t for t in declared or [] if isinstance(t, str)}
    return kinds


def _items(node: Schema, root: Schema | None) -> Schema | None:
    """The ``items`` schema of the array alternative of ``node``."""
    for option in _alternatives(_resolve(node, root), root):
        items = option.get("items")
        if isinstance(items, Mapping):
            return _resolve(items, root)
    return None
