"""Asking the user before an expensive call (MCP elicitation), or refusing with the estimate.

A tool that fans out to several models (consensus, a multi-model review) estimates the cost first and
calls ``await ctx.confirm_cost(estimate_usd, what)``. Above ``budgets.confirm_above_usd`` ($1 by default;
``null`` never asks) Zen asks the user through the client — Claude Code and Codex show a yes/no form —
and goes on only on a yes. A client that cannot ask (no elicitation support, a stateless HTTP request on
the 2025 protocol, a background job) gets a refusal naming the estimate and how to raise the threshold.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from zen_core.errors import ToolError

#: ``await ask(message)``: ``True``/``False`` for the user's answer; ``None`` when the client cannot ask.
Ask = Callable[[str], Awaitable[bool | None]]
#: The form the client shows: one yes/no field (the only kinds every client renders).
CONFIRM_SCHEMA = {
    "type": "object",
    "properties": {"confirm": {"type": "boolean", "title": "Continue", "description": "Make the call"}},
    "required": ["confirm"],
}


class InputRequired(Exception):
    """The answer must come in a retried request (MCP 2026-07-28): the server returns its question."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CostGate:
    """One call's confirmation of its cost."""

    def __init__(
        self, threshold_usd: float | None, ask: Ask | None, *, on_passed: Callable[[], None] | None = None
    ) -> None:
        """``on_passed`` runs once the cost is confirmed or needs no confirmation."""
        self.threshold_usd = threshold_usd
        self._ask = ask
        self._on_passed = on_passed
        self._detached_because: str | None = None

    def detach(self, because: str) -> None:
        """The call became a background job (``because`` says why): there is no request left to ask through."""
        self._ask = None
        self._detached_because = because

    async def confirm(self, estimate_usd: float, what: str) -> None:
        """Go on when ``estimate_usd`` is within the threshold or the user says yes; else :class:`ToolError`."""
        await self._check(estimate_usd, what)
        if self._on_passed is not None:
            self._on_passed()

    async def _check(self, estimate_usd: float, what: str) -> None:
        if self.threshold_usd is None or estimate_usd <= self.threshold_usd:
            return
        message = (
            f"{what} will cost about ${estimate_usd:.2f} (more than the ${self.threshold_usd:g} that needs your "
            "confirmation). Continue?"
        )
        answer = await self._ask(message) if self._ask is not None else None
        if answer is True:
            return
        details = {"estimate_usd": round(estimate_usd, 4), "threshold_usd": self.threshold_usd}
        if answer is False:
            raise ToolError(
                f"{what} was not made: the user declined its cost (about ${estimate_usd:.2f}).",
                code="cost_declined",
                details=details,
            )
        who = (
            f"it had become a background job, which cannot ask the user ({self._detached_because})"
            if self._detached_because
            else "this client cannot ask the user"
        )
        raise ToolError(
            f"{what} was not made: it would cost about ${estimate_usd:.2f}, over the ${self.threshold_usd:g} "
            f"that needs confirmation, and {who}. What to do: use fewer models, or raise "
            "budgets.confirm_above_usd (ZEN_BUDGETS__CONFIRM_ABOVE_USD) in the Zen config.",
            code="cost_confirmation_needed",
            details=details,
        )
