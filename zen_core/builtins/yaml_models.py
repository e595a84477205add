"""The built-in model source: the ``models:`` of the YAML configuration (``models.yaml``).

Registered as a built-in plugin, so it is called before third-party sources and wins when both
define the same model name.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from zen_core.llm.models import ModelConfig, ModelSource
from zen_core.plugin.spec import hookimpl
from zen_core.settings import ConfigError, Settings


class YamlModelSource:
    """The built-in source: the ``models:`` mapping of the merged YAML settings (name → fields)."""

    name = "yaml"

    def load(self, settings: Settings) -> list[ModelConfig]:
        raw = settings.section("models")
        fallbacks = settings.section("fallbacks")
        out: list[ModelConfig] = []
        for name, fields in raw.items():
            body = dict(fields or {})
            body.setdefault("fallbacks", fallbacks.get(name, []))
            try:
                out.append(ModelConfig.model_validate({**body, "name": str(name), "source": self.name}))
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in ('models', name, *e['loc']))}: {e['msg']}" for e in exc.errors()
                )
                raise ConfigError(problems, source=settings.source_of(f"models.{name}"), key=f"models.{name}") from exc
        return out


@hookimpl
def register_model_sources(register: Callable[[ModelSource], None]) -> None:
    """The built-in source: the ``models`` of the YAML settings (it wins over plugin sources)."""
    register(YamlModelSource())
