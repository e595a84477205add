"""Typed settings of the LLM service (``llm:``, ``rate_limits:``, ``cache:``, ``budgets:`` in limits.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zen_core.settings import Settings


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouterSettings(_Section):
    """``llm:`` — LiteLLM Router behaviour. Retries and timeout are always set explicitly."""

    timeout_s: float = Field(default=120.0, gt=0, description="Per-attempt timeout.")
    total_timeout_s: float = Field(
        default=240.0,
        gt=0,
        description="Bound on one call across all its attempts, retries and fallbacks (each attempt gets "
        "the smaller of timeout_s and what is left); a call's timeout_s argument can lower it. The default "
        "stays under Codex's 300 s tool timeout, with rate_limits.max_wait_s (30 s) on top.",
    )
    num_retries: int = Field(default=2, ge=0, description="Retries per model before its fallbacks are tried.")
    retry_initial_delay_s: float = Field(default=0.5, ge=0, description="First backoff delay; doubles per retry.")
    retry_max_delay_s: float = Field(default=8.0, ge=0)
    retry_jitter_s: float = Field(default=0.75, ge=0, description="Random extra delay, up to this much.")
    allowed_fails: int = Field(default=3, ge=0, description="Failures per minute before a deployment cools down.")
    cooldown_s: float = Field(default=30.0, ge=0)
    routing_strategy: str = "simple-shuffle"
    drop_params: bool = Field(default=True, description="Drop params a provider does not support instead of failing.")


class Limit(_Section):
    requests_per_minute: int | None = Field(default=None, gt=0)
    tokens_per_minute: int | None = Field(default=None, gt=0)
    max_concurrent: int | None = Field(default=None, gt=0, description="Calls in flight at once (this process).")


class RateLimitSettings(_Section):
    """``rate_limits:`` — calls over a limit wait up to ``max_wait_s``, then fail naming the limit."""

    max_wait_s: float = Field(default=30.0, ge=0)
    window_s: float = Field(default=60.0, gt=0, description="Counting window (a minute; lower in tests).")
    global_: Limit = Field(default_factory=lambda: Limit(), alias="global")
    per_model: dict[str, Limit] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CacheSettings(_Section):
    """``cache:`` — LiteLLM's response cache plus coalescing of identical in-flight calls."""

    enabled: bool = True
    backend: Literal["auto", "local", "redis"] = Field(default="auto", description="auto: redis when a URL is set.")
    redis_url: str | None = Field(default=None, description="Default: ZEN_REDIS_URL / redis_url.")
    ttl_s: float = Field(default=3600.0, gt=0)
    coalesce: bool = Field(default=True, description="Identical concurrent calls share one provider call.")
    namespace: str = "zen"


class BudgetSettings(_Section):
    """``budgets:`` — refuse calls that would cost too much."""

    max_cost_per_call_usd: float | None = Field(default=None, ge=0)
    daily_limit_usd: float | None = Field(default=None, ge=0, description="Spend per UTC day, shared via counters.")
    confirm_above_usd: float | None = Field(
        default=1.0, ge=0, description="Ask the user before a multi-model call estimated above this (null: never)."
    )


class LLMSettings(_Section):
    router: RouterSettings
    rate_limits: RateLimitSettings
    cache: CacheSettings
    budgets: BudgetSettings
    redis_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMSettings:
        """Validate the sections; a bad value raises ConfigError naming file and key."""
        cache: CacheSettings = settings.validate("cache", CacheSettings)
        return cls(
            router=settings.validate("llm", RouterSettings),
            rate_limits=settings.validate("rate_limits", RateLimitSettings),
            cache=cache,
            budgets=settings.validate("budgets", BudgetSettings),
            redis_url=cache.redis_url or settings.redis_url,
        )
