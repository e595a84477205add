"""A tool that needs a kind of model is not offered when no usable model has it, and listmodels says why."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from zen_core import ModelConfig, Tool, ToolContext, ToolRequest, ToolResponse, hookimpl
from zen_core.plugin.host import ZenHost
from zen_core.testing.pytest_plugin import ZenConfig


class Lookup(Tool[ToolRequest]):
    name = "needs_vision"
    description = "Works only with a vision model."
    request_model = ToolRequest

    def unavailable_reason(self, models: Sequence[ModelConfig]) -> str | None:
        return None if any(m.supports_vision for m in models) else "no usable model has supports_vision: true"

    async def execute(self, request: ToolRequest, ctx: ToolContext) -> ToolResponse:
        return ToolResponse(data="ok")


class Plugin:
    @hookimpl
    def register_tools(self, register: Callable[[Tool[Any]], None]) -> None:
        register(Lookup())


def host(zen_config: ZenConfig, zen_settings_factory: Callable[[], Any], vision: bool) -> ZenHost:
    entry = {"model": "openai/x", "api_base": "http://127.0.0.1:9/v1", "api_key": "k", "supports_vision": vision}
    zen_config.write("models.yaml", {"models": {"m": entry}})
    return ZenHost(zen_settings_factory(), extra_plugins={"lookup": Plugin()}, environ={"ZEN_LOAD_PLUGINS": ""})


async def test_withheld_without_a_fitting_model_and_offered_with_one(zen_config: ZenConfig, request: Any) -> None:
    def settings() -> Any:
        from zen_core.settings import Settings

        return Settings(zen_config.dir)

    without = host(zen_config, settings, vision=False)
    assert "needs_vision" not in without.tools
    listing = await without.dispatcher().call("listmodels", {})
    assert listing.data["tools_not_offered"] == {"needs_vision": "no usable model has supports_vision: true"}
    assert "Tools not offered (1):\n- needs_vision: no usable model has supports_vision: true" in str(listing.text)
    refused = await without.dispatcher().call("needs_vision", {})
    assert refused.status == "error" and "is not offered by this server: no usable model" in str(refused.text)

    with_vision = host(zen_config, settings, vision=True)
    assert "needs_vision" in with_vision.tools
    assert (await with_vision.dispatcher().call("needs_vision", {})).data == "ok"
