"""Reading the model's JSON answer robustly, and the lenient building blocks of the answer models.

Models wrap JSON in code fences, put prose or a ``<think>`` block around it, leave a trailing comma,
nest it under one key, write a number where a string belongs or a string where a list belongs. All of
that is accepted. What cannot be read as the tool's answer gives ``None`` and a note saying why; the
tool then returns the raw text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

#: Where to stop looking for the start of a JSON object in a long answer (each try is a parse).
MAX_OBJECT_STARTS = 50

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|jsonc)?[ \t]*\n(.*?)\n?[ \t]*```", re.DOTALL)
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
#: ``"src/a.py:12 shows it"`` or ``"src/a.py:12-20: ..."``: a location leading a bare text.
_LEADING_LOCATION = re.compile(r"^\s*([\w./\\-]+\.\w+:\d+(?:-\d+)?)\s*(?:[:—–-]\s*)?(.*)$", re.DOTALL)


# -- lenient field types -----------------------------------------------------------------------
def _text(value: Any) -> Any:
    """``None`` → ``""``; a list of lines → one text; an object → its JSON."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(str(_text(v)) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _items(value: Any) -> Any:
    """``None`` → ``[]``; one item given bare → a list of it."""
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        return [value] if value != "" else []
    return value


def _level(value: Any) -> Any:
    return _text(value).strip().lower() if value is not None else ""


#: A text field: accepts null, numbers and lists of lines.
Text = Annotated[str, BeforeValidator(_text)]
#: A lowercase word (severity, confidence, impact).
Level = Annotated[str, BeforeValidator(_level)]
#: A list of texts (one bare text is a list of one).
Texts = Annotated[list[Text], BeforeValidator(_items)]


class Lenient(BaseModel):
    """An answer model: unknown keys ignored, every field optional; ``null`` means the default, and a list
    field given one bare item holds that item."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            info = cls.model_fields.get(key)
            if info is not None and get_origin(info.annotation) is list and isinstance(item, (str, dict)):
                item = [item] if item != "" else []
            out[key] = item
        return out


class Item(Lenient):
    """One entry of a list in an answer. A bare string becomes its ``main`` field; ``{"file": .., "line": ..}``
    becomes ``location`` ``"file:line"``."""

    main: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        if isinstance(value, str) and cls.main:
            found = _LEADING_LOCATION.match(value) if "location" in cls.model_fields else None
            if found and cls.main != "location":
                return {"location": found.group(1), cls.main: found.group(2)}
            return {cls.main: value}
        if isinstance(value, dict) and "location" in cls.model_fields and not value.get("location"):
            file = value.get("file") or value.get("path")
            if file:
                line = value.get("line") or value.get("lines")
                return {**value, "location": f"{file}:{line}" if line else str(file)}
        return value


def ranked(items: list[Any], field: str, order: tuple[str, ...]) -> list[Any]:
    """``items`` sorted by their ``field`` in ``order`` (stable: equal ranks keep the model's order; unknown
    values go last)."""
    rank = {name: i for i, name in enumerate(order)}
    return sorted(items, key=lambda item: rank.get(getattr(item, field), len(order)))


# -- parsing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parsed:
    """The answer as the tool's model, or ``None`` and why it could not be read."""

    answer: BaseModel | None
    note: str | None = None


def parse_answer(text: str, model: type[BaseModel], *, truncated: bool = False) -> Parsed:
    """Read ``text`` as one ``model``. ``truncated``: the model stopped at its token limit."""
    found = find_object(text, set(model.model_fields))
    if found is None:
        if truncated:
            why = "The answer was cut off at the model's output limit before its JSON was complete"
        elif not text.strip():
            why = "The model returned an empty answer"
        else:
            why = "The model did not answer in the JSON format asked for"
        return Parsed(None, f"{why}; its answer is in `raw`, unstructured.")
    try:
        return Parsed(model.model_validate(found))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the answer"
        return Parsed(
            None,
            f"The model's JSON did not have the expected shape ({where}: {first['msg']}); "
            "its answer is in `raw`, unstructured.",
        )


def find_object(text: str, keys: set[str]) -> dict[str, Any] | None:
    """The JSON object in ``text`` that holds at least one of ``keys`` (see the module docstring)."""
    text = _THINK.sub("", text).strip()
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        found = _object_in(candidate.strip(), keys)
        if found is not None:
            return found
    return None


def _object_in(text: str, keys: set[str]) -> dict[str, Any] | None:
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        return None
    outer = text[start : end + 1]
    for attempt in (outer, _TRAILING_COMMA.sub(r"\1", outer)):
        try:
            value = json.loads(attempt)
        except ValueError:
            continue
        found = _matching(value, keys)
        if found is not None:
            return found
    # Prose with braces around the object, or two objects: decode from each "{" in turn.
    decoder = json.JSONDecoder()
    for tries, match in enumerate(re.finditer(r"\{", text)):
        if tries >= MAX_OBJECT_STARTS:
            break
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        found = _matching(value, keys)
        if found is not None:
            return found
    return None


def _matching(value: Any, keys: set[str]) -> dict[str, Any] | None:
    """``value`` if it is an object with one of ``keys``, or the one object it wraps (``{"answer": {...}}``)."""
    if not isinstance(value, dict):
        return None
    if keys & set(value):
        return value
    if len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, dict) and keys & set(inner):
            return inner
    return None
