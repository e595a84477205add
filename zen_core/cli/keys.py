"""``zen keys add|list|remove``: API keys for ``zen serve --http`` (only hashes are stored)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from zen_core.cli.common import key_warnings, load_host
from zen_core.errors import ConfigError

if TYPE_CHECKING:
    from zen_core.builtins.keys import KeyFile


def _key_file(config_dir: str | None) -> KeyFile:
    from zen_core.builtins.keys import KeyFile
    from zen_core.settings import user_config_dir

    return KeyFile(Path(config_dir) if config_dir else user_config_dir())


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


@click.group()
def keys() -> None:
    """Manage API keys for the HTTP transport (stored as hashes in keys.yaml of the config dir)."""


_config_dir_option = click.option(
    "--config-dir", envvar="ZEN_CONFIG_DIR", default=None, help="Config dir holding keys.yaml (default: Zen's)."
)


@keys.command("add")
@click.argument("name")
@click.option("--tools", default=None, help='Comma-separated tools this key may call (default: all; "": none).')
@click.option("--models", default=None, help='Comma-separated models this key may use (default: all; "": none).')
@click.option(
    "--roots",
    default=None,
    help='Comma-separated absolute directories this key\'s tools may read (default: files.allowed_roots; "": none).',
)
@_config_dir_option
def add(name: str, tools: str | None, models: str | None, roots: str | None, config_dir: str | None) -> None:
    """Create key NAME and print it once; only its hash is stored."""
    key_file = _key_file(config_dir)
    try:
        secret = key_file.add(name, tools=_split(tools), models=_split(models), roots=_split(roots))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(secret)
    for warning in _unknown_names(key_file, name):
        click.echo(f"Warning: {warning}", err=True)
    click.echo(
        f"Created API key '{name}' in {key_file.path}. It is shown only this once; send it as "
        "'Authorization: Bearer <key>'. Restart running HTTP servers to pick it up.",
        err=True,
    )


def _unknown_names(key_file: KeyFile, name: str) -> list[str]:
    """Typos in the new key's allowlists, checked against the tools and models served here."""
    key = next((entry for entry in key_file.load() if entry.name == name), None)
    if key is None or (key.tools is None and key.models is None):
        return []
    return key_warnings(load_host(), [key])


def _shown(names: tuple[str, ...] | None, unset: str) -> str:
    """An allowlist as ``zen keys list`` shows it: ``unset`` when absent, ``none`` when empty."""
    if names is None:
        return unset
    return ",".join(names) or "none"


@keys.command("list")
@_config_dir_option
def list_keys(config_dir: str | None) -> None:
    """List key names and their allowlists (hashes are not shown)."""
    key_file = _key_file(config_dir)
    try:
        entries = key_file.load()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not entries:
        click.echo(f"No API keys in {key_file.path}. Create one with: zen keys add NAME")
    for entry in entries:
        tools = _shown(entry.tools, "all")
        models = _shown(entry.models, "all")
        roots = _shown(entry.roots, "server default")
        click.echo(f"{entry.name}  tools={tools}  models={models}  roots={roots}  created={entry.created or '?'}")


@keys.command("remove")
@click.argument("name")
@_config_dir_option
def remove(name: str, config_dir: str | None) -> None:
    """Delete key NAME (running servers keep accepting it until restarted)."""
    key_file = _key_file(config_dir)
    try:
        removed = key_file.remove(name)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not removed:
        raise click.ClickException(f"no API key named '{name}' in {key_file.path}")
    click.echo(f"Removed API key '{name}'.")
