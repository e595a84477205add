"""Results of LLM calls: :class:`Completion`, :class:`Usage` and the streaming :class:`CompletionStream`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from pydantic import BaseModel, Field


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class Completion(BaseModel):
    """One model answer with its usage, cost and timing."""

    text: str
    model: str = Field(description="The model as requested (name or alias).")
    model_used: str = Field(description="The Zen model that answered (differs after a fallback).")
    provider_model: str = Field(default="", description="The LiteLLM model id of the deployment that answered.")
    provider: str | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    cost_known: bool = Field(default=True, description="False when no price is known (cost_usd is then 0).")
    latency_ms: float = 0.0
    cache_hit: bool = False
    coalesced: bool = Field(default=False, description="Served by an identical call already in flight.")
    finish_reason: str | None = None

    def metadata(self) -> dict[str, Any]:
        """The fields tools put in ``ToolResponse.metadata``."""
        data = self.model_dump(exclude={"text"})
        if not self.cost_known:
            data["cost_note"] = "unknown price: set input_cost_per_token/output_cost_per_token in models.yaml"
        return data


class CompletionStream:
    """An async iterator of text deltas; :attr:`completion` holds the final :class:`Completion` after it ends.

    ::

        stream = llm.stream("gpt-5", messages)
        async for delta in stream:
            print(delta, end="")
        print(stream.completion.usage)

    Leaving the loop early (``break``) should be followed by ``await stream.aclose()``, which frees the
    connection and the rate-limit slot; :attr:`completion` is then ``None``.
    """

    def __init__(self, run: Callable[[CompletionStream], AsyncGenerator[str, None]]) -> None:
        self.completion: Completion | None = None
        self._chunks = run(self)

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        return await self._chunks.__anext__()

    async def aclose(self) -> None:
        await self._chunks.aclose()

    async def collect(self) -> Completion:
        """Consume the whole stream and return the final completion."""
        async for _ in self:
            pass
        assert self.completion is not None
        return self.completion
