"""The ``zen`` command. Each subcommand lives in its own module and imports heavy code only when run."""

from __future__ import annotations

import click

from zen_core.cli.common import configure_logging
from zen_core.cli.inspect import doctor, models, plugins, threads, tools, usage
from zen_core.cli.run import call, serve
from zen_core.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zen")
@click.option(
    "--log-level",
    envvar="ZEN_LOG_LEVEL",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Log level (logs go to stderr, never stdout).",
)
def main(log_level: str) -> None:
    """Zen: an MCP server that lets your coding agent consult other LLMs."""
    configure_logging(log_level)


for command in (serve, call, plugins, tools, models, threads, usage, doctor):
    main.add_command(command)

try:  # commands contributed by optional core modules
    from zen_core.cli.extra import register_extra_commands
except ImportError:  # pragma: no cover - the module ships with the core
    pass
else:
    register_extra_commands(main)
