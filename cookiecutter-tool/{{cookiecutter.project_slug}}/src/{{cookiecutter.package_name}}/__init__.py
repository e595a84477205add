"""{{ cookiecutter.project_slug }}: a Zen plugin.

The ``zen`` entry point in pyproject.toml points at this module; at startup Zen calls the hook
below to collect the plugin's tools.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zen_core import Tool, hookimpl

from {{ cookiecutter.package_name }}.tool import {{ cookiecutter.class_name }}Request, {{ cookiecutter.class_name }}Tool

__all__ = ["{{ cookiecutter.class_name }}Request", "{{ cookiecutter.class_name }}Tool", "register_tools"]


@hookimpl
def register_tools(register: Callable[[Tool[Any]], None]) -> None:
    register({{ cookiecutter.class_name }}Tool())
