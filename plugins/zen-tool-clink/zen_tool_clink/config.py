"""clink's configuration: the shipped CLIs and roles (``defaults.yaml``) merged with the user's own
(``plugins.zen-tool-clink`` in any YAML file of the Zen config dir), validated with pydantic.

A bad entry is an error that names the key (``plugins.zen-tool-clink.clis.<name>.<field>``), what is
wrong and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zen_core import ToolError

PREFIX = "plugins.zen-tool-clink"
#: Default time limit of one CLI run: under the 300 s tool timeout of Codex (and well inside Claude
#: Code's watchdog, which the heartbeat resets).
DEFAULT_TIMEOUT_S = 240.0
DEFAULT_MAX_OUTPUT_BYTES = 2 * 1024 * 1024
DEFAULT_HEARTBEAT_S = 5.0
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: Which placeholders each argv list may use.
ALLOWED = {
    "command": set(),
    "args": {"prompt", "prompt_file", "working_dir"},
    "resume_args": {"prompt", "prompt_file", "working_dir", "session_id"},
    "file_args": {"file"},
}
Parser = Literal["text", "json", "jsonl"]


class CLIConfig(BaseModel):
    """One CLI clink can run."""

    model_config = ConfigDict(extra="forbid")

    command: list[str] = Field(min_length=1)
    args: list[str] = Field(default_factory=list)
    resume_args: list[str] | None = None
    file_args: list[str] = Field(default_factory=list)
    parser: Parser = "text"
    timeout_s: float | None = Field(None, gt=0, le=3600)
    env: dict[str, str] = Field(default_factory=dict)
    roles: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True

    @field_validator("command", "args", "resume_args", "file_args", mode="before")
    @classmethod
    def _argv_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("must be a list of argv strings, not one string")
        return value

    @field_validator("env", mode="before")
    @classmethod
    def _env_strings(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items() if v is not None}
        return value

    @model_validator(mode="after")
    def _placeholders(self) -> CLIConfig:
        for name, allowed in ALLOWED.items():
            values = getattr(self, name) or []
            for item in values:
                for found in PLACEHOLDER.findall(item):
                    if found not in allowed:
                        known = ", ".join("{" + a + "}" for a in sorted(allowed)) or "none"
                        raise ValueError(f"{name}: unknown placeholder {{{found}}} in {item!r} (allowed here: {known})")
        for name in ("args", "resume_args"):
            values = getattr(self, name) or []
            modes = [p for p in ("{prompt}", "{prompt_file}") if any(p in item for item in values)]
            if len(modes) > 1:
                raise ValueError(f"{name}: use either {{prompt}} or {{prompt_file}}, not both")
        if self.resume_args is not None and not any("{session_id}" in item for item in self.resume_args):
            raise ValueError("resume_args: must contain {session_id} (or leave resume_args out)")
        if self.file_args and not any("{file}" in item for item in self.file_args):
            raise ValueError("file_args: must contain {file}, e.g. [--file, '{file}']")
        return self

    def prompt_mode(self, resume: bool) -> Literal["arg", "file", "stdin"]:
        argv = (self.resume_args or []) if resume else self.args
        if any("{prompt_file}" in item for item in argv):
            return "file"
        if any("{prompt}" in item for item in argv):
            return "arg"
        return "stdin"


class ClinkSettings(BaseModel):
    """The whole ``plugins.zen-tool-clink`` section, defaults merged in."""

    model_config = ConfigDict(extra="forbid")

    clis: dict[str, CLIConfig] = Field(default_factory=dict)
    roles: dict[str, str] = Field(default_factory=dict)
    default_cli: str | None = None
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0, le=3600)
    max_output_bytes: int = Field(DEFAULT_MAX_OUTPUT_BYTES, ge=1024)
    heartbeat_s: float = Field(DEFAULT_HEARTBEAT_S, gt=0)
    kill_grace_s: float = Field(2.0, ge=0, le=60)
    max_history_chars: int = Field(60_000, ge=0)
    allow_http: bool = False
    #: Accepted because every plugin may have one; clink calls no model itself.
    default_model: str | None = None

    def roles_for(self, cli: CLIConfig) -> dict[str, str]:
        return {**self.roles, **cli.roles}

    def enabled(self) -> dict[str, CLIConfig]:
        return {name: cli for name, cli in self.clis.items() if cli.enabled}


#: How to fix each kind of field, for the error message.
FIXES: dict[str, str] = {
    "command": 'the argv list that starts the CLI, e.g. command: ["gemini"] or ["/opt/bin/codex"]',
    "args": 'an argv list, e.g. args: ["--output-format", "json"]',
    "resume_args": 'the argv list used to resume a session, with "{session_id}" in it',
    "file_args": 'the argv added per file, e.g. file_args: ["--file", "{file}"]',
    "parser": "one of text, json (one JSON object) or jsonl (JSON event lines)",
    "timeout_s": "seconds, more than 0 and at most 3600",
    "env": "a mapping of variable names to string values",
    "roles": "a mapping of role names to role prompts",
    "enabled": "true or false",
    "clis": "a mapping of CLI names to their settings",
    "default_cli": "the name of a configured CLI",
    "max_output_bytes": "bytes kept per stream, at least 1024",
    "heartbeat_s": "seconds between progress notifications",
    "kill_grace_s": "seconds between SIGTERM and SIGKILL, 0 to 60",
    "max_history_chars": "characters of earlier conversation sent to the CLI",
    "allow_http": "true or false",
}


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(current, value)
        else:
            merged[key] = value
    return merged


@lru_cache(maxsize=1)
def shipped() -> dict[str, Any]:
    """The packaged ``defaults.yaml``."""
    import yaml

    text = resources.files("zen_tool_clink").joinpath("defaults.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return dict(data) if isinstance(data, Mapping) else {}


def load(plugin_settings: Mapping[str, Any]) -> ClinkSettings:
    """The validated settings: shipped defaults with the user's section merged over them."""
    user = dict(plugin_settings or {})
    clis = user.get("clis")
    if clis is not None and not isinstance(clis, Mapping):
        raise ToolError(
            f"Invalid clink configuration: {PREFIX}.clis must be {FIXES['clis']} (got {type(clis).__name__}).",
            code="config_error",
        )
    raw = _merge(shipped(), user)
    try:
        return ClinkSettings.model_validate(raw)
    except ValidationError as exc:
        raise ToolError(_explain(exc), code="config_error", details={"errors": _errors(exc)}) from exc


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        key = ".".join([PREFIX, *loc])
        field = next((p for p in reversed(loc) if p in FIXES), loc[-1] if loc else "")
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            allowed = CLIConfig.model_fields if len(loc) >= 3 and loc[0] == "clis" else ClinkSettings.model_fields
            fix = f"remove it or fix its spelling; known keys: {', '.join(allowed)}"
        elif err["type"] == "missing":
            fix = f"set it to {FIXES.get(field, 'a value')}"
        elif err["type"] == "value_error" and message.split(":", 1)[0] in FIXES:
            fix = f"expected {FIXES[message.split(':', 1)[0]]}"
        else:
            fix = f"expected {FIXES.get(field, 'a valid value')}; got {err.get('input')!r}"[:300]
        out.append({"key": key, "error": message, "fix": fix})
    return out


def _explain(exc: ValidationError) -> str:
    lines = ["Invalid clink configuration (in a YAML file of your Zen config dir):"]
    lines += [f"- {e['key']}: {e['error']} ({e['fix']})" for e in _errors(exc)]
    return "\n".join(lines)
