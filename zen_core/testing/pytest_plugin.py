"""pytest fixtures for Zen and its plugins (registered through the ``pytest11`` entry point).

- ``zen_env``: environment for an isolated Zen (temporary config and data dirs, plugin selection);
- ``zen_config``: write YAML files into that config dir;
- ``zen_stdio`` / ``zen_http``: a real MCP client connected to ``zen serve`` over stdio / Streamable HTTP;
- ``zen_http_server``: the HTTP server process itself (URL, stderr, stop with a signal);
- ``zen_settings``: the settings a server with that environment reads;
- ``zen_host``: the plugin host built in-process with the same environment;
- the fake LLM fixtures from :mod:`zen_core.testing.llm_fixtures` (``fake_llm`` …).

Which installed plugins a test's server loads: all of them by default; mark a test (or module) with
``@pytest.mark.zen_plugins("zen-tool-chat", ...)`` to load only those, and set the ini option
``zen_isolate_plugins = true`` to load none unless a test asks (the core's own suite does this).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from zen_core.settings import deep_merge
from zen_core.testing import preload
from zen_core.testing.mcp import HTTPServerProcess, http_client, in_own_task, stdio_client

try:
    from zen_core.testing.llm_fixtures import *  # noqa: F403 - re-export the fake LLM fixtures
except ImportError:  # pragma: no cover - the module ships with zen-core
    pass


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "zen_isolate_plugins",
        "Load no installed Zen plugins in test servers unless a test is marked zen_plugins(...)",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "zen_plugins(*names): installed Zen plugins the test's server loads")
    config.addinivalue_line("markers", "zen_extra_plugins(*modules): plugin modules registered for the test")
    config.addinivalue_line(
        "markers",
        "zen_fresh_process: start the test's servers as fresh processes, not forked from the preloaded Zen "
        "(for tests that need the server to be its spawner's child, its own cmdline or environ, or a heap "
        "that was not preloaded)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Honour ``@pytest.mark.zen_fresh_process`` in :func:`zen_core.testing.mcp.zen_command` (set before any
    fixture of the test, module-scoped servers included, starts a server)."""
    preload.fresh_process_requested = item.get_closest_marker("zen_fresh_process") is not None


class ZenConfig:
    """The temporary user config dir of a test's Zen (``ZEN_CONFIG_DIR``)."""

    def __init__(self, path: Path) -> None:
        self.dir = path

    def write(self, name: str, data: dict[str, Any]) -> Path:
        """Write ``data`` as ``<name>`` (e.g. ``"models.yaml"``), merging over what the file holds."""
        path = self.dir / name
        current = yaml.safe_load(path.read_text()) if path.exists() else {}
        path.write_text(yaml.safe_dump(deep_merge(current or {}, data), sort_keys=False))
        return path


@pytest.fixture
def zen_env(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """Environment for a test's Zen server: its own config and data dirs and plugin selection."""
    config_dir = tmp_path / "zen-config"
    data_dir = tmp_path / "zen-data"
    config_dir.mkdir(exist_ok=True)
    data_dir.mkdir(exist_ok=True)
    env = {
        "ZEN_CONFIG_DIR": str(config_dir),
        "ZEN_DATA_DIR": str(data_dir),
        "ZEN_LOG_LEVEL": "WARNING",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_OFFLINE_MODE": "true",
    }
    marker = request.node.get_closest_marker("zen_plugins")
    if marker is not None:
        env["ZEN_LOAD_PLUGINS"] = ",".join(marker.args)
    elif request.config.getini("zen_isolate_plugins"):
        env["ZEN_LOAD_PLUGINS"] = ""
    extra = request.node.get_closest_marker("zen_extra_plugins")
    if extra is not None:
        env["ZEN_EXTRA_PLUGINS"] = ",".join(extra.args)
    return env


@pytest.fixture
def zen_config(zen_env: dict[str, str]) -> ZenConfig:
    return ZenConfig(Path(zen_env["ZEN_CONFIG_DIR"]))


@pytest.fixture
async def zen_stdio(zen_env: dict[str, str]) -> AsyncIterator[Any]:
    """A real MCP client connected over stdio to ``zen serve`` running with ``zen_env``."""
    async with in_own_task(stdio_client(zen_env)) as client:
        yield client


@pytest.fixture
def zen_http_server(zen_env: dict[str, str]) -> Iterator[HTTPServerProcess]:
    """``zen serve --http`` on a free loopback port with ``zen_env``."""
    with HTTPServerProcess(zen_env) as server:
        yield server


@pytest.fixture
async def zen_http(zen_http_server: HTTPServerProcess) -> AsyncIterator[Any]:
    """A real MCP client connected over Streamable HTTP to ``zen_http_server``."""
    async with in_own_task(http_client(zen_http_server.url)) as client:
        yield client


@pytest.fixture
def zen_settings(zen_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Zen's settings as a server started with ``zen_env`` sees them: the packaged defaults, then what
    the test wrote with ``zen_config`` (write first, then ask for this fixture), then ``ZEN_*`` vars."""
    from zen_core.settings import Settings

    for key, value in zen_env.items():
        monkeypatch.setenv(key, value)
    return Settings(zen_env["ZEN_CONFIG_DIR"])


@pytest.fixture
def zen_host(zen_settings: Any) -> Any:
    """The plugin host built in this process with the environment of ``zen_env``."""
    from zen_core.plugin.host import ZenHost

    return ZenHost(zen_settings)
