"""Helpers shared by the CLI commands."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:  # the commands import what they run only when they run (``--help`` imports none of it)
    from zen_core.plugin.host import ZenHost

T = TypeVar("T")


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when it is installed (a faster event loop), else on asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def configure_logging(level: str) -> None:
    """Everything Zen and its libraries log goes to stderr; stdout is reserved for MCP and results."""
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(levelname)s %(name)s: %(message)s")


def load_host() -> ZenHost:
    """Build the host, turning configuration and strict-mode plugin errors into a clean exit."""
    from zen_core.errors import ConfigError
    from zen_core.plugin.host import ZenHost
    from zen_core.plugin.loader import PluginLoadError
    from zen_core.settings import Settings

    try:
        return ZenHost(Settings())
    except (ConfigError, PluginLoadError) as exc:
        raise click.ClickException(str(exc)) from exc


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def schema_tokens(schema: Any) -> int:
    """Approximate size of a JSON schema in tokens (4 characters per token, as agents budget it)."""
    return max(1, len(json.dumps(schema, separators=(",", ":"))) // 4)


def key_warnings(host: ZenHost, keys: list[Any] | None = None) -> list[str]:
    """Names in API keys' tool/model allowlists that match nothing ``host`` serves (typos): ``keys``,
    default every configured key."""
    from zen_core.builtins.keys import load_keys, unknown_names

    models = [label for model in host.services.models for label in model.names]
    found = load_keys(host.settings) if keys is None else keys
    return [warning for key in found for warning in unknown_names(key, host.tools, models)]
