"""Commands contributed by optional core modules, added to the ``zen`` group."""

from __future__ import annotations

import click

from zen_core.cli.keys import keys


def register_extra_commands(main: click.Group) -> None:
    main.add_command(keys)
