"""Host services shared by all tool calls of one process, each created on first use.

Nothing here imports LiteLLM until a tool actually needs the LLM service, so ``initialize`` and
``tools/list`` stay fast; :meth:`Services.warm_up` loads it in the background afterwards.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from zen_core.settings import Settings

if TYPE_CHECKING:
    from zen_core.llm import LLMService
    from zen_core.llm.models import ModelRegistry, ModelSource
    from zen_core.store import Counters, ThreadStore
    from zen_core.store.jobs import JobStore
    from zen_core.store.usage import UsageLog

log = logging.getLogger("zen.services")


class Services:
    """Lazily built singletons: model registry, LLM service, thread store and shared counters."""

    def __init__(self, settings: Settings, model_sources: Sequence[ModelSource] = ()) -> None:
        self.settings = settings
        self.model_sources = list(model_sources)
        self._lock = threading.Lock()
        self._llm: LLMService | None = None
        self._store: Any = None
        self._warm_thread: threading.Thread | None = None
        #: Run once LiteLLM is loaded (servers set :func:`settle_heap`); set before the first LLM use.
        self.after_llm_ready: Callable[[], None] | None = None
        #: The plugins of this process as ``zen plugins --json`` lists them (set by the host).
        self.plugins: list[dict[str, Any]] = []
        #: Tools installed but not offered, with why (set by the host).
        self.withheld_tools: dict[str, str] = {}

    @cached_property
    def models(self) -> ModelRegistry:
        """All configured models, merged from the model sources (no LiteLLM import)."""
        from zen_core.llm.models import ModelRegistry

        return ModelRegistry.from_sources(self.model_sources, self.settings)

    def _open_store(self) -> Any:
        with self._lock:
            if self._store is None:
                from zen_core.store import open_store

                self._store = open_store(self.settings)
            return self._store

    @property
    def threads(self) -> ThreadStore:
        return self._open_store().threads  # type: ignore[no-any-return]

    @property
    def usage(self) -> UsageLog:
        return self._open_store().usage  # type: ignore[no-any-return]

    @property
    def jobs(self) -> JobStore:
        return self._open_store().jobs  # type: ignore[no-any-return]

    @property
    def counters(self) -> Counters:
        return self._open_store().counters  # type: ignore[no-any-return]

    @property
    def llm(self) -> LLMService:
        with self._lock:
            if self._llm is None:
                from zen_core.llm import LLMService

                llm_service = LLMService(
                    self.settings, self.models, counters_factory=lambda: self.counters, on_ready=self.after_llm_ready
                )
                self._llm = llm_service
            return self._llm

    def warm_up(self) -> None:
        """Import LiteLLM in a background thread so the first tool call does not pay for it."""
        if self._warm_thread is not None or self._llm is not None:
            return

        def _warm() -> None:
            try:
                self.llm.warm_up()
            except Exception:
                log.warning("background warm-up of the LLM service failed", exc_info=True)

        self._warm_thread = threading.Thread(target=_warm, name="zen-llm-warmup", daemon=True)
        self._warm_thread.start()

    async def aclose(self) -> None:
        if self._llm is not None:
            await self._llm.aclose()
        if self._store is not None:
            await self._store.aclose()


def settle_heap() -> None:
    """Move everything alive now (after the warm-up: LiteLLM's ~400,000 objects) out of the garbage
    collector's sight, for a server process.

    Those objects live as long as the process; left tracked, every full collection walks them all: a
    ~180 ms pause for whichever calls are in flight. One collection first, so no garbage is kept.
    """
    gc.collect()
    gc.freeze()
