"""MCP resources: the caller's recent conversations (each readable whole), the models it may use, and its
usage — so an agent can find and recover a conversation after its context was cleared.

Every resource is scoped like tools are: over HTTP a key reads its own conversations and usage, and the
models its allowlist permits.
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types

from zen_core.calls.context import Caller
from zen_core.context.history import format_turn
from zen_core.llm.bound import LLM, CallScope
from zen_core.services import Services
from zen_core.store.listing import format_thread_table
from zen_core.store.usage import UsageView, format_usage
from zen_core.store.view import Threads

THREADS = "zen://threads"
MODELS = "zen://models"
USAGE = "zen://usage"
THREAD_TEMPLATE = "zen://threads/{continuation_id}"
#: How many recent conversations ``zen://threads`` lists (and ``resources/list`` offers one by one).
RECENT = 20


def _json(uri: str, data: Any) -> types.TextResourceContents:
    return types.TextResourceContents(
        uri=uri, mime_type="application/json", text=json.dumps(data, indent=2, default=str, ensure_ascii=False)
    )


def _text(uri: str, text: str) -> types.TextResourceContents:
    return types.TextResourceContents(uri=uri, mime_type="text/plain", text=text)


class Resources:
    """Lists and reads Zen's resources for one caller at a time."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def listing(self, caller: Caller) -> list[types.Resource]:
        fixed = [
            types.Resource(
                uri=THREADS,
                name="threads",
                title="Recent Zen conversations",
                description="Your recent conversations: continuation_id, tool, models, first prompt.",
                mime_type="text/plain",
            ),
            types.Resource(
                uri=MODELS,
                name="models",
                title="Zen models",
                description="Models you can use, and why the others are unavailable.",
                mime_type="application/json",
            ),
            types.Resource(
                uri=USAGE,
                name="usage",
                title="Zen usage",
                description="Your calls, tokens, cost and latency per model, today and over 7 days.",
                mime_type="text/plain",
            ),
        ]
        summaries = await Threads(self.services.threads, caller.key_name).list(RECENT)
        conversations = [
            types.Resource(
                uri=f"{THREADS}/{s.id}",
                name=f"thread-{s.id}",
                title=f"{s.tool}: {s.first_prompt}"[:120],
                description=f"{s.turn_count} turns with {', '.join(s.models) or 'no model yet'}",
                mime_type="text/plain",
            )
            for s in summaries
        ]
        return fixed + conversations

    def templates(self) -> list[types.ResourceTemplate]:
        return [
            types.ResourceTemplate(
                uri_template=THREAD_TEMPLATE,
                name="thread",
                title="A Zen conversation",
                description="One conversation, every turn: pass the continuation_id of a tool's result.",
                mime_type="text/plain",
            )
        ]

    async def read(self, uri: str, caller: Caller) -> list[types.TextResourceContents]:
        threads = Threads(self.services.threads, caller.key_name)
        if uri == THREADS:
            return [_text(uri, format_thread_table(await threads.list(RECENT)))]
        if uri.startswith(THREADS + "/"):
            thread = await threads.get(uri.removeprefix(THREADS + "/"))  # ThreadNotFound for another key's
            head = f"Conversation {thread.id} ({thread.tool}), {len(thread.turns)} turns. continuation_id: {thread.id}"
            body = "\n\n".join(format_turn(n, turn) for n, turn in enumerate(thread.turns, start=1))
            return [_text(uri, f"{head}\n\n{body}")]
        if uri == MODELS:
            scope = CallScope(key_name=caller.key_name, allowed_models=caller.allowed_models)
            listing = LLM(self.services.llm, scope).describe()
            listing["tools_not_offered"] = dict(self.services.withheld_tools)
            return [_json(uri, listing)]
        if uri == USAGE:
            return [_text(uri, format_usage(await UsageView(self.services.usage, caller.key_name).report()))]
        raise ValueError(
            f"Unknown resource {uri!r}. Resources: {THREADS}, {THREADS}/<continuation_id>, {MODELS}, {USAGE}"
        )
