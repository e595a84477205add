"""Make the shared helpers importable (the suite runs with --import-mode=importlib), and one
``zen serve --http`` with the review plugin (and chat) for a module, models on the session's fake LLM.

Starting a server (and LiteLLM in it) costs seconds, so most tests share one; each test sets the canned
answers of the models it uses and makes its own repositories and files.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from review_helpers import MODELS, ReviewServer, base_env, write_config

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import HTTPServerProcess


@pytest.fixture(scope="module")
def review_server(fake_llm_server: FakeLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReviewServer]:
    tmp = tmp_path_factory.mktemp("review")
    root, outside = (tmp / "root").resolve(), (tmp / "outside").resolve()
    root.mkdir()
    outside.mkdir()
    names = {zen: fake_llm_server.model(zen) for zen in MODELS}
    env = base_env(tmp)
    write_config(Path(env["ZEN_CONFIG_DIR"]), fake_llm_server, names, root)
    with HTTPServerProcess(env) as server:
        yield ReviewServer(server, fake_llm_server, root, outside, names)
