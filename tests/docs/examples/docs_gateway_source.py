"""A model source plugin: the models of an OpenAI-compatible gateway (docs/plugins/model-sources.md).

Configured by a ``gateway.yaml`` in the Zen config dir::

    gateway:
      url: http://127.0.0.1:4000/v1
      key_env: GATEWAY_KEY
      models: [fast, smart]
"""

from __future__ import annotations

from collections.abc import Callable

from zen_core import ModelConfig, ModelSource, Settings, hookimpl


class GatewaySource:
    name = "gateway"

    def load(self, settings: Settings) -> list[ModelConfig]:
        config = settings.get("gateway") or {}
        if not config.get("url"):
            return []
        return [
            ModelConfig(
                name=f"gw-{model}",
                model=f"openai/{model}",
                api_base=config["url"],
                api_key=f"os.environ/{config.get('key_env', 'GATEWAY_KEY')}",
                description=f"{model} through the team gateway",
                context_window=config.get("context_window", 32_000),
                max_output_tokens=4_096,
            )
            for model in config.get("models", [])
        ]


@hookimpl
def register_model_sources(register: Callable[[ModelSource], None]) -> None:
    register(GatewaySource())
