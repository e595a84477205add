"""Fallbacks within the caller's rights.

The Router walks a model's configured ``fallbacks`` by itself. When the caller may use only some models (an
API key's model allowlist), a fallback outside them must never answer — nor be billed — so Zen turns the
Router's fallbacks off for that call and walks the allowed ones itself, within the same deadline.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Sequence

from zen_core.llm.errors import DeadlineExceeded, LLMError
from zen_core.llm.models import ModelConfig, ModelRegistry
from zen_core.llm.types import Completion

log = logging.getLogger("zen.llm")
Events = AsyncGenerator["str | Completion", None]


def allowed_fallbacks(
    models: ModelRegistry, configured: Sequence[str], may_use: Callable[[ModelConfig], bool] | None
) -> list[ModelConfig] | None:
    """The fallbacks (usable ones, named in ``configured``) the caller may use, in order; ``None`` when
    that is all of them, so the Router may walk them as configured."""
    if may_use is None:
        return None
    chain = [models.resolve(name) for name in configured]
    allowed = [cfg for cfg in chain if may_use(cfg)]
    return None if len(allowed) == len(chain) else allowed


async def walk(chain: Sequence[ModelConfig], run: Callable[[ModelConfig], Events]) -> Events:
    """``run(model)``'s events for the first model of ``chain`` that answers. A model that fails before
    yielding anything hands over to the next; once a stream has sent text, its failure is final."""
    for index, cfg in enumerate(chain):
        sent = False
        events = run(cfg)
        try:
            async for item in events:
                sent = True
                yield item
            return
        except LLMError as exc:
            if sent or index == len(chain) - 1 or isinstance(exc.__cause__, DeadlineExceeded):
                raise  # text already went out, nothing is left to try, or the time is up
            log.info("model %s failed (%s); falling back to %s", cfg.name, exc.code, chain[index + 1].name)
        finally:
            await events.aclose()
