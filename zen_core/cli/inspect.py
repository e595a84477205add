"""``zen plugins``, ``zen tools``, ``zen models``, ``zen threads`` and ``zen doctor``."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import click

from zen_core.cli.common import echo_json, key_warnings, load_host, schema_tokens
from zen_core.errors import ConfigError

#: The providers whose key ``zen doctor`` reports (their variables come from the one provider table).
DOCTOR_PROVIDERS = ("openai", "anthropic", "gemini", "openrouter", "xai")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--all", "show_all", is_flag=True, help="Include built-in plugins.")
def plugins(as_json: bool, show_all: bool) -> None:
    """List plugins: distribution, version, hooks, tools and load errors."""
    host = load_host()
    infos = host.plugin_infos(include_builtin=show_all)
    failed = [info for info in host.plugin_infos(include_builtin=True) if info.error]
    if as_json:
        echo_json([info.as_dict() for info in infos])
    else:
        if not infos:
            click.echo("No plugins installed. Install one with: pip install zen-tool-chat")
        for info in infos:
            where = " ".join(part for part in (info.distribution, info.version) if part)
            state = " [disabled]" if info.disabled else (" [built-in]" if info.builtin else "")
            click.echo(f"{info.name}" + (f": {where}" if where else "") + state)
            if info.tools:
                click.echo(f"  tools: {', '.join(info.tools)}")
            if info.hooks:
                click.echo(f"  hooks: {', '.join(info.hooks)}")
            if info.error:
                click.echo(f"  error: {info.error}")
    if failed:
        names = ", ".join(info.name for info in failed)
        click.echo(
            f"{len(failed)} plugin(s) failed: {names}. Zen serves without them; switch one off with "
            f"ZEN_DISABLE_PLUGINS={failed[0].name}.",
            err=True,
        )
        sys.exit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tools(as_json: bool) -> None:
    """List the tools served over MCP, with the size of each schema in tokens."""
    host = load_host()
    rows = []
    for name, entry in sorted(host.tools.items()):
        schema = {"name": name, "description": entry.tool.description, "inputSchema": entry.tool.input_schema()}
        rows.append(
            {
                "name": name,
                "description": entry.tool.description,
                "plugin": entry.distribution or entry.plugin,
                "schema_tokens": schema_tokens(schema),
            }
        )
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']:<12} {row['schema_tokens']:>5} tokens  {row['description']}")
    total = sum(int(str(r["schema_tokens"])) for r in rows)
    click.echo(f"total: {total} tokens (≈ 4 characters per token)")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models(as_json: bool) -> None:
    """List configured models and whether each is usable."""
    host = load_host()
    listing: dict[str, Any] = host.services.models.describe()
    if as_json:
        echo_json(listing)
        return
    for model in listing.get("available", []):
        aliases = ", ".join(model.get("aliases") or [])
        click.echo(f"{model['name']:<28} ok   {aliases}")
    for name, reason in listing.get("unavailable", {}).items():
        click.echo(f"{name:<28} --   {reason}")


@click.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="How many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def threads(limit: int, as_json: bool) -> None:
    """List recent conversations, to resume one with its continuation_id."""
    from zen_core.settings import Settings
    from zen_core.store import format_thread_table, open_store

    async def fetch() -> list[Any]:
        store = open_store(Settings())
        try:
            return list(await store.threads.list_threads(limit=limit))
        finally:
            await store.aclose()

    try:
        summaries = asyncio.run(fetch())
    except Exception as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json([s.model_dump(mode="json") for s in summaries])
    else:
        click.echo(format_thread_table(summaries))


@click.command()
@click.option("--key", "key_name", default=None, help="Only this API key's usage (default: every key's).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def usage(key_name: str | None, as_json: bool) -> None:
    """Model usage today and over 7 days: calls, tokens, cost, latency, errors, consensus agreement."""
    from zen_core.settings import Settings
    from zen_core.store import ANYONE, open_store
    from zen_core.store.usage import UsageView, format_usage

    async def fetch() -> dict[str, Any]:
        store = open_store(Settings())
        try:
            return await UsageView(store.usage, ANYONE if key_name is None else key_name).report()
        finally:
            await store.aclose()

    try:
        report = asyncio.run(fetch())
    except Exception as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json(report)
    else:
        click.echo(format_usage(report))


def _doctor_report() -> tuple[dict[str, Any], bool]:
    from zen_core.llm.models import PROVIDER_KEY_ENV

    host = load_host()
    settings = host.settings
    report: dict[str, Any] = {
        "config_files": [str(p) for p in settings.files],
        "user_config_dir": str(settings.config_dir),
        "provider_keys": {p: bool(os.environ.get(PROVIDER_KEY_ENV[p])) for p in DOCTOR_PROVIDERS},
        "plugin_errors": host.load_errors(),
        "plugin_warnings": list(host.loader.warnings),
        "tools": sorted(host.tools),
    }
    try:
        report["key_warnings"] = key_warnings(host)
    except ConfigError as exc:
        report["key_warnings"] = [str(exc)]
    healthy = not report["plugin_errors"] and not report["plugin_warnings"] and not report["key_warnings"]
    try:
        listing = host.services.models.describe()
        report["models_available"] = [m["name"] for m in listing.get("available", [])]
    except Exception as exc:
        report["models_error"] = str(exc)
        healthy = False

    async def ping_store() -> str:
        from zen_core.store import open_store

        store = open_store(settings)
        try:
            await store.ping()
            return f"ok ({store.description})"
        finally:
            await store.aclose()

    try:
        report["store"] = asyncio.run(ping_store())
    except Exception as exc:
        report["store"] = f"unreachable: {exc}"
        healthy = False
    return report, healthy


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def doctor(as_json: bool) -> None:
    """Check config files, provider keys, plugins and the store; exit 1 when something is broken."""
    report, healthy = _doctor_report()
    if as_json:
        echo_json(report)
    else:
        click.echo("Config files:")
        for path in report["config_files"]:
            click.echo(f"  {path}")
        click.echo(f"User config dir: {report['user_config_dir']}")
        keys = report["provider_keys"]
        click.echo("Provider keys: " + ", ".join(f"{p}={'set' if ok else 'missing'}" for p, ok in keys.items()))
        if "models_available" in report:
            click.echo(f"Usable models: {', '.join(report['models_available']) or 'none'}")
            if not report["models_available"]:
                click.echo("  Set a provider key (e.g. OPENAI_API_KEY) or add a local endpoint to models.yaml.")
        if "models_error" in report:
            click.echo(f"Model configuration error: {report['models_error']}")
        click.echo(f"Tools: {', '.join(report['tools'])}")
        for name, err in report["plugin_errors"].items():
            click.echo(f"Plugin error: {name}: {err}  (disable it with ZEN_DISABLE_PLUGINS={name})")
        for warning in report["plugin_warnings"]:
            click.echo(f"Plugin selection: {warning}")
        for warning in report["key_warnings"]:
            click.echo(f"API keys: {warning}")
        click.echo(f"Store: {report['store']}")
        if not healthy:
            click.echo("Problems found.")
        elif not report.get("models_available"):
            click.echo("OK, but no model is usable yet.")
        else:
            click.echo("OK")
    if not healthy:
        sys.exit(1)
