"""What a tool gets for one call: :class:`ToolContext`, bound to the :class:`Caller` that made it.

Everything a tool can reach through the context is already scoped to the caller — models to its key's
allowlist, conversations to its key, files to its roots — so a tool cannot leak one key's data to another
by forgetting a check.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zen_core.calls.confirm import CostGate
from zen_core.calls.progress import CallProgress
from zen_core.context.access import Files
from zen_core.llm.bound import LLM
from zen_core.llm.usage import UsageRecord
from zen_core.store.jobs import JobsView
from zen_core.store.usage import UsageView
from zen_core.store.view import Threads

#: The tools of jobs: every API key may call them whatever its tool allowlist (a key's call can become a job),
#: and they show only the key's own jobs.
JOB_TOOLS: frozenset[str] = frozenset({"jobs", "cancel_job"})


@dataclass(frozen=True)
class Caller:
    """Who made a call: the transport and, over HTTP with API keys, the key and its rights."""

    #: ``stdio`` (an agent that spawned Zen), ``http``, or ``cli`` (``zen call``).
    transport: str = "stdio"
    #: The API key that authenticated the call; ``None`` without one.
    key_name: str | None = None
    #: Tools the key may call (``None``: all).
    allowed_tools: tuple[str, ...] | None = None
    #: Models the key may use (``None``: all; empty: none).
    allowed_models: tuple[str, ...] | None = None
    #: Directories the key's tools may read (``None``: the server's ``files.allowed_roots``).
    file_roots: tuple[str, ...] | None = None

    @property
    def is_local(self) -> bool:
        """True for the local user's own process (stdio or ``zen call``), False over HTTP."""
        return self.transport != "http"

    def may_call(self, tool: str) -> bool:
        """Whether the key's tool allowlist admits ``tool`` (the :data:`JOB_TOOLS` always; no key: every tool).
        The one rule for both ``tools/list`` and the call itself."""
        if self.key_name is None or self.allowed_tools is None:
            return True
        return tool in self.allowed_tools or tool in JOB_TOOLS


@dataclass(frozen=True)
class ServerInfo:
    """About the serving process: its version and its plugins (as ``zen plugins --json`` lists them)."""

    version: str
    plugins: Sequence[Mapping[str, Any]] = ()
    #: Tools installed but not offered, with why (see ``Tool.unavailable_reason``).
    withheld_tools: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ToolContext:
    """What the host gives a tool for one call. A new context is made per call; tools keep no state."""

    request_id: str
    tool_name: str
    #: Correlates this call's log lines, metrics and provider requests.
    trace_id: str
    caller: Caller
    #: Models and model calls, within the caller's rights (every call is recorded in :attr:`usage`).
    llm: LLM
    #: Conversations any tool can continue, scoped to the caller's API key.
    threads: Threads
    #: Files, images and prompt context under the caller's file rules.
    files: Files
    #: The plugin's own settings: the ``plugins.<distribution-name>`` section of the configuration.
    plugin_settings: dict[str, Any] = field(default_factory=dict)
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("zen.tool"))
    server: ServerInfo = field(default_factory=lambda: ServerInfo(version=""))
    #: The model calls made so far (filled by :attr:`llm`, or :meth:`record_usage`).
    usage: list[UsageRecord] = field(default_factory=list)
    #: Free-form values middleware shares with later middleware and the tool.
    state: dict[str, Any] = field(default_factory=dict)
    #: The call's progress notifications (the tool's, and the heartbeat while it is quiet).
    progress: CallProgress = field(default_factory=lambda: CallProgress(None, "tool"))
    #: Largest result the client accepts, in tokens (from ``MAX_MCP_OUTPUT_TOKENS``), if known.
    max_output_tokens: int | None = None
    #: The user's prompt overrides for this tool: the ``prompts.<tool>`` section of the configuration.
    prompt_overrides: Mapping[str, Any] = field(default_factory=dict)
    #: The caller's usage log (see :meth:`usage_report`); set by the dispatcher.
    usage_log: UsageView | None = None
    #: The caller's background jobs (for the ``jobs`` tool); set by the dispatcher.
    jobs: JobsView | None = None
    #: Where partial results go when the call runs as a background job (see :meth:`report_partial`).
    partial_sink: Callable[[str, Any], Awaitable[None]] | None = None
    #: Asks the user before a costly call (see :meth:`confirm_cost`); set by the dispatcher.
    cost_gate: CostGate = field(default_factory=lambda: CostGate(None, None))
    #: Set once the call is under way (its cost confirmed, or a model asked): the dispatcher then lets a
    #: ``background: true`` call go on as a job.
    under_way: asyncio.Event = field(default_factory=asyncio.Event)
    #: Models' verdicts in a multi-model call: ``(model, agreed with the majority)`` (see :meth:`record_verdict`).
    verdicts: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def key_name(self) -> str | None:
        """The API key that authenticated the call (HTTP), ``None`` otherwise."""
        return self.caller.key_name

    def prompt(self, name: str, default: str) -> str:
        """The prompt text ``name`` (dotted for nested keys: ``"stances.for"``): the user's override from
        ``prompts.<tool>.<name>`` in prompts.yaml when set, else ``default`` (the tool's own text)."""
        node: Any = self.prompt_overrides
        for part in name.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        return str(node) if isinstance(node, str) and node.strip() else default

    def record_usage(self, record: UsageRecord) -> None:
        """Report a model call made without ``ctx.llm`` (e.g. by a CLI sub-agent), for logs and metrics."""
        self.usage.append(record)

    async def usage_report(self) -> dict[str, Any]:
        """The caller's model usage, today and over 7 days (what the ``usage`` tool shows)."""
        if self.usage_log is None:
            return {}
        return await self.usage_log.report()

    async def confirm_cost(self, estimate_usd: float, what: str) -> None:
        """Before an expensive call (``what``: "This consensus of 4 models"): above
        ``budgets.confirm_above_usd`` the user is asked through the client, and the call goes on only on a yes;
        a client that cannot ask gets a :class:`ToolError` with the estimate and how to raise the threshold."""
        await self.cost_gate.confirm(estimate_usd, what)

    async def report_partial(self, name: str, value: Any) -> None:
        """Publish a result before the end (say, one model's answer of several). A background job shows
        them to ``jobs``; otherwise nothing happens. ``value`` must be JSON-serialisable."""
        if self.partial_sink is not None:
            await self.partial_sink(name, value)

    def record_verdict(self, model: str, agreed: bool) -> None:
        """Report whether ``model`` ended up agreeing with the majority of a multi-model call (consensus):
        the ``usage`` report shows how often each model agrees, a hint of what it adds."""
        self.verdicts.append((model, agreed))

    @property
    def wants_progress(self) -> bool:
        """Whether the client asked for progress notifications (worth streaming an answer as progress)."""
        return self.progress.enabled

    async def report_progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Send an MCP progress notification (a no-op when the client did not ask for progress). A short
        one-line ``message`` names the stage, which the heartbeat repeats while the tool is quiet."""
        await self.progress.report(progress, total, message)
