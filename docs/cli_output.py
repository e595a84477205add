"""Real ``zen`` output for the docs (run by cog; see docs/cog.sh).

Each command runs in a fresh, empty config and data dir, so the output does not depend on the machine:
``plugins`` chooses which installed plugins load (``ZEN_LOAD_PLUGINS``; ``""`` for the built-ins only)
and ``models_yaml`` is written as the config dir's ``models.yaml`` when given.

``zen`` is the venv's script unless ``ZEN_DOCS_COMMAND`` gives another argv for it (a JSON list): the
test suite gives a launcher that runs that script forked from its preloaded Zen
(``zen_core.testing.preload``), so each command is a fork instead of a process importing LiteLLM.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def run(*args: str, plugins: str = "", models_yaml: str | None = None) -> str:
    """The stdout of ``zen ARGS`` (which must exit 0)."""
    given = os.environ.get("ZEN_DOCS_COMMAND")
    zen = json.loads(given) if given else [script()]
    with tempfile.TemporaryDirectory() as tmp:
        if models_yaml is not None:
            Path(tmp, "models.yaml").write_text(models_yaml, encoding="utf-8")
        env = {
            "PATH": os.environ.get("PATH", ""),
            # A worktree's own code ahead of the venv's editable install (unset: the installed code).
            **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
            # where the test run wants bytecode (none in the source tree)
            **{k: os.environ[k] for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX") if k in os.environ},
            "HOME": tmp,
            "COLUMNS": "100",
            "NO_COLOR": "1",
            "ZEN_CONFIG_DIR": tmp,
            "ZEN_DATA_DIR": tmp,
            "ZEN_LOAD_PLUGINS": plugins,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_OFFLINE_MODE": "true",
        }
        proc = subprocess.run([*zen, *args], env=env, cwd=tmp, capture_output=True, text=True, check=True, timeout=120)
    return proc.stdout


def script() -> str:
    """The venv's ``zen`` console script."""
    return os.path.join(os.path.dirname(sys.executable), "zen")


def console(cog: Any, *args: str, hide_disabled: bool = False, **options: Any) -> None:
    """Emit ``$ zen ARGS`` and its output as a console block."""
    lines = run(*args, **options).splitlines()
    if hide_disabled:  # installed plugins differ between machines; ZEN_LOAD_PLUGINS="" disabled them all
        lines = [line for line in lines if not line.endswith("[disabled]")]
    cog.outl("```console")
    cog.outl("$ zen " + " ".join(args))
    cog.out("".join(line + "\n" for line in lines))
    cog.outl("```")


#: A model with web search, so that ``apilookup`` (offered only then) is counted too.
WEB_SEARCH_MODEL = (
    "models:\n  web:\n    model: openai/web\n    api_base: http://127.0.0.1:9/v1\n    supports_web_search: true\n"
)
#: The plugin packages ``make serve`` installs (the Makefile's SERVE_PLUGINS).
SERVED_BY_DEFAULT = ("zen-tool-chat", "zen-tool-consensus", "zen-tool-review")


def _tools(plugins: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(run("tools", "--json", plugins=plugins, models_yaml=WEB_SEARCH_MODEL))
    return rows


def _packages() -> list[str]:
    found = []
    for pyproject in sorted(Path("plugins").glob("*/pyproject.toml")):
        name = re.search(r'^name\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.MULTILINE)
        if name:
            found.append(name.group(1))
    return sorted(found, key=lambda name: (name not in SERVED_BY_DEFAULT, name))


def cost_table(cog: Any) -> None:
    """A table of every tool package: its tools and what they cost in ``tools/list`` tokens."""
    builtin = _tools("")
    cog.outl("| package | tools | tokens | `make serve` |")
    cog.outl("|---|---|---:|---|")
    names = ", ".join(f"`{row['name']}`" for row in builtin)
    cog.outl(f"| zen-core (built in) | {names} | {sum(r['schema_tokens'] for r in builtin)} | yes |")
    known = {row["name"] for row in builtin}
    for package in _packages():
        rows = [row for row in _tools(package) if row["name"] not in known]
        names = ", ".join(f"`{row['name']}`" for row in rows)
        default = "yes" if package in SERVED_BY_DEFAULT else f"`.venv/bin/pip install ./plugins/{package}`"
        cog.outl(f"| {package} | {names} | {sum(r['schema_tokens'] for r in rows)} | {default} |")
    everything = _tools(",".join(_packages()))
    biggest = max(everything, key=lambda row: row["schema_tokens"])
    cog.outl(
        f"| **all of them** | {len(everything)} tools (largest: `{biggest['name']}`, "
        f"{biggest['schema_tokens']}) | **{sum(r['schema_tokens'] for r in everything)}** | |"
    )
