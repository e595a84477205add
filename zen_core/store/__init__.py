"""Conversation memory and shared counters: SQLite in the data dir by default, Redis when configured.

Tools reach the thread store as ``ctx.threads``; the LLM service uses ``services.counters``.
``open_store`` picks the backend: ``ZEN_REDIS_URL`` / ``redis_url`` selects Redis, otherwise
``<data_dir>/zen.db``. TTL and turn limit come from the ``conversations`` settings section.
"""

from __future__ import annotations

from zen_core.settings import ConfigError, Settings
from zen_core.store.base import (
    Counters,
    Store,
    StoreUnavailable,
    ThreadFull,
    ThreadNotFound,
    ThreadStore,
    mask_url,
    normalize_thread_id,
)
from zen_core.store.listing import format_age, format_thread_table
from zen_core.store.models import ConversationSettings, Thread, ThreadSummary, Turn
from zen_core.store.owner import ANYONE, Owner
from zen_core.store.view import Threads

__all__ = [
    "ANYONE",
    "ConversationSettings",
    "Counters",
    "Owner",
    "Store",
    "StoreUnavailable",
    "Thread",
    "ThreadFull",
    "ThreadNotFound",
    "ThreadStore",
    "ThreadSummary",
    "Threads",
    "Turn",
    "conversation_settings",
    "format_age",
    "format_thread_table",
    "mask_url",
    "normalize_thread_id",
    "open_store",
]


def conversation_settings(settings: Settings) -> ConversationSettings:
    """The validated ``conversations`` section (defaults in ``config/conversations.yaml``)."""
    config: ConversationSettings = settings.validate("conversations", ConversationSettings)
    return config


def open_store(settings: Settings) -> Store:
    """The configured store. Cheap and non-blocking: nothing connects until first use."""
    config = conversation_settings(settings)
    url = settings.redis_url
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(
                f"expected a redis://, rediss:// or unix:// URL, got {mask_url(url)!r}",
                source=settings.source_of("redis_url"),
                key="redis_url",
            )
        from zen_core.store.redis import RedisStore

        return RedisStore(url, config)
    from zen_core.store.sqlite import DB_FILENAME, SQLiteStore

    return SQLiteStore(settings.data_dir / DB_FILENAME, config)
