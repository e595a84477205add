"""Render the public API's signatures for docs/plugins/api.md (run by cog; see docs/cog.sh).

Each name is shown as Python stubs read from the code itself: a class's docstring summary, its fields
(dataclasses and pydantic models), properties and public methods with their signatures, so the page
cannot drift from the code (``tests/docs/test_docs.py`` fails when it is stale).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import zen_core


def _summary(obj: Any) -> str:
    doc = inspect.cleandoc(obj.__doc__) if isinstance(getattr(obj, "__doc__", None), str) else ""
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    return re.sub(r":\w+:`~?([^`]+)`", r"\1", first).replace("``", "`")


def _annotation(value: Any) -> str:
    if value is inspect.Parameter.empty:
        return ""
    if isinstance(value, str):
        text = value
    elif hasattr(value, "__forward_arg__"):
        text = value.__forward_arg__
    elif isinstance(value, type):
        text = value.__name__
    else:
        text = repr(value)
    return text.replace("typing.", "").replace("collections.abc.", "").replace("NoneType", "None")


def _signature(fn: Any) -> str:
    """``(a: int, *, b: str = 'x') -> bool`` with annotations as written in the code."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return "(...)"
    params, star_done = [], False
    for param in sig.parameters.values():
        if param.kind is param.KEYWORD_ONLY and not star_done:
            params.append("*")
            star_done = True
        if param.kind is param.VAR_POSITIONAL:
            star_done = True
        prefix = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "")
        text = prefix + param.name
        if param.annotation is not param.empty:
            text += f": {_annotation(param.annotation)}"
        if param.default is not param.empty:
            text += f" = {param.default!r}"
        params.append(text)
    ret = f" -> {_annotation(sig.return_annotation)}" if sig.return_annotation is not sig.empty else ""
    return f"({', '.join(params)}){ret}"


def _comments(cls: type) -> dict[str, list[str]]:
    """The ``#:`` comment lines just above each attribute in ``cls``'s source, by attribute name."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    found: dict[str, list[str]] = {}
    pending: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("#:"):
            pending.append(re.sub(r":\w+:`~?([^`]+)`", r"\1", stripped[2:].strip()).replace("``", "`"))
            continue
        attribute = re.match(r"(\w+)\s*:", stripped)
        if attribute and pending:
            found[attribute.group(1)] = pending
        pending = []
    return found


_UNSET = object()


def _class_vars(cls: type) -> list[str]:
    """``ClassVar`` declarations (a tool's ``name``, ``description`` …), with their ``#:`` comments and the
    default of those that have one (no default: the subclass must set it)."""
    out = []
    comments = _comments(cls)
    for name, annotation in getattr(cls, "__annotations__", {}).items():
        if "ClassVar" in str(annotation) and not name.startswith("_"):
            shown = str(annotation).replace("ClassVar[", "", 1)[:-1]
            default = getattr(cls, name, _UNSET)
            out += [f"    #: {line}".rstrip() for line in comments.get(name, [])]
            out.append(f"    {name}: ClassVar[{shown}]" + (f" = {default!r}" if default is not _UNSET else ""))
    return out


def _fields(cls: type) -> list[str]:
    if dataclasses.is_dataclass(cls):
        out = []
        for f in dataclasses.fields(cls):
            if f.name.startswith("_"):
                continue
            default = "" if f.default is dataclasses.MISSING else f" = {f.default!r}"
            if f.default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
                default = " = ..."
            out.append(f"    {f.name}: {_annotation(f.type)}{default}")
        return out
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, dict):
        out = []
        for name, info in model_fields.items():
            if name.startswith("_") or info.exclude:
                continue
            default = "" if info.is_required() else " = ..."
            out.append(f"    {name}: {_annotation(info.annotation)}{default}")
        return out
    return [  # plain classes: their annotated attributes
        f"    {name}: {_annotation(annotation)}"
        for name, annotation in getattr(cls, "__annotations__", {}).items()
        if not name.startswith("_") and "ClassVar" not in str(annotation)
    ]


def _members(cls: type) -> list[str]:
    lines: list[str] = []
    for name, member in cls.__dict__.items():
        if name.startswith("_") and name != "__init__":
            continue
        if name in ("model_config", "model_fields", "model_computed_fields"):
            continue
        if isinstance(member, property):
            ret = _annotation(inspect.signature(member.fget).return_annotation) if member.fget else "Any"
            lines.append(f"    @property\n    def {name}(self) -> {ret}: ...")
        elif inspect.isfunction(member) or isinstance(member, (classmethod, staticmethod)):
            fn = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            if name == "__init__" and not issubclass(cls, Exception):
                continue  # Zen builds these for you (dataclass and pydantic fields are listed above)
            prefix = "async def" if inspect.iscoroutinefunction(fn) else "def"
            deco = "    @classmethod\n" if isinstance(member, classmethod) else ""
            doc = _summary(fn)
            body = f'\n        """{doc}"""' if doc else " ..."
            lines.append(f"{deco}    {prefix} {name}{_signature(fn)}:{body}")
    return lines


def _formatted(code: str) -> str:
    """``code`` as ``ruff format`` writes it (the project's style; the docs are checked with it too)."""
    ruff = Path(sys.executable).with_name("ruff")
    command = str(ruff) if ruff.exists() else shutil.which("ruff") or "ruff"
    done = subprocess.run(
        [command, "format", "--line-length", "120", "--stdin-filename", "api.py", "-"],
        input=code,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def render(names: list[str]) -> str:
    """Markdown for ``names`` (exports of ``zen_core``), in the given order."""
    missing = [n for n in names if n not in zen_core.__all__]
    if missing:
        raise ValueError(f"not exported by zen_core: {missing}")
    parts = []
    for name in names:
        obj = getattr(zen_core, name)
        parts.append(f"### `{name}`\n")
        summary = _summary(obj)
        if summary:
            parts.append(summary + "\n")
        if inspect.isclass(obj):
            bases = [b.__name__ for b in obj.__bases__ if b.__name__ not in ("object", "Generic", "ABC")]
            head = f"class {name}({', '.join(bases)}):" if bases else f"class {name}:"
            body = _class_vars(obj) + _fields(obj) + _members(obj)
            parts.append("```python\n" + _formatted(head + "\n" + ("\n".join(body) if body else "    ...")) + "```\n")
        elif callable(obj):
            parts.append(f"```python\n{name}{_signature(obj)}\n```\n")
        else:
            parts.append(f"```python\n{name} = {obj!r}\n```\n")
    return "\n".join(parts)
