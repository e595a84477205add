"""Models and keys: an explicit ``api_base`` needs none, a local refusal is no provider 500, a missing key
is answered at once."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from zen_core.llm import LLMError, LLMService
from zen_core.llm.errors import is_retryable, map_error, provider_reached
from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import server_env

USER = [{"role": "user", "content": "hello there"}]


async def test_api_base_without_a_key_is_called(
    fake_llm: FakeLLM, make_llm: Callable[..., LLMService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/models.md: an OpenAI-compatible server at an explicit api_base needs no key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    name = fake_llm.model(text="local answer")
    entry = fake_llm.entry(name)
    del entry["api_key"]
    llm = make_llm(models={"local": entry})
    assert llm.models.unavailable() == {}
    done = await llm.complete("local", USER)
    assert done.text == "local answer"
    assert fake_llm.calls(name) == 1


async def test_a_call_the_client_refuses_is_not_a_provider_500(monkeypatch: pytest.MonkeyPatch) -> None:
    """The OpenAI client's own refusal (no key) is reported as such, never retried, and nothing was sent."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    import litellm

    with pytest.raises(Exception) as info:  # the real exception LiteLLM raises, whatever its class
        await litellm.acompletion(
            model="openai/x", api_base="http://127.0.0.1:9/v1", messages=USER, num_retries=0, api_key=None
        )
    error = map_error(info.value, model="m", provider="openai", key_env=["OPENAI_API_KEY"])
    assert isinstance(error, LLMError)
    assert "HTTP 500" not in str(error) and "retry later" not in str(error)
    assert "not sent" in str(error)
    assert "set api_key for this model in models.yaml or OPENAI_API_KEY" in str(error)
    assert error.status_code is None
    assert not is_retryable(info.value)
    assert not provider_reached(info.value)


def test_a_model_without_its_key_is_refused_before_litellm_loads(zen_env: dict[str, str], tmp_path) -> None:
    """`zen call` with a model whose key is unset answers from the registry, without importing LiteLLM."""
    config = tmp_path / "zen-config" / "models.yaml"
    config.write_text("models:\n  keyless-claude: {model: anthropic/claude-x}\n")
    env = server_env({**zen_env, "ZEN_LOAD_PLUGINS": "chat"})
    env.pop("ANTHROPIC_API_KEY", None)
    script = (
        "import sys\n"
        "from zen_core.cli import main\n"
        "try:\n"
        "    main(['call', 'chat', '--arg', 'prompt=hi', '--arg', 'model=keyless-claude'])\n"
        "except SystemExit as stop:\n"
        "    print('exit', stop.code, 'litellm' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert "no API key: set ANTHROPIC_API_KEY" in proc.stdout
    assert [line for line in proc.stderr.splitlines() if line.startswith("exit ")] == ["exit 1 False"]
