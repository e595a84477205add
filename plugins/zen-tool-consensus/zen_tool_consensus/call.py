"""One ``consensus`` call: all models at once, optional anonymised cross-feedback, agreement, synthesis.

All run state lives in a :class:`~zen_tool_consensus.result.Run` made per call.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from typing import Any

from zen_core import Model, PromptContext, Thread, ToolContext, ToolError, ToolResponse, Turn
from zen_tool_consensus.agreement import answers_agree
from zen_tool_consensus.prompts import (
    DEFAULT_SYSTEM,
    feedback_message,
    feedback_messages,
    initial_messages,
    synthesis_messages,
    system_prompt,
)
from zen_tool_consensus.request import MAX_MODELS, MAX_ROUNDS, ConsensusRequest, Participant, participants
from zen_tool_consensus.result import Run
from zen_tool_consensus.runner import Attempt, Progress, ask, error_info

Messages = list[dict[str, Any]]
#: Share of the input budget the earlier conversation may take (the rest is for files).
HISTORY_SHARE = 0.25
#: ``synthesize_with`` value asking for the best model that is not answering.
AUTO = "auto"
#: The answer length a cost estimate assumes for each model and round.
EXPECTED_ANSWER_TOKENS = 800


class Consensus:
    """One consensus call."""

    def __init__(self, request: ConsensusRequest, ctx: ToolContext) -> None:
        self.request = request
        self.ctx = ctx
        self.people = participants(request.models)
        seed = secrets.randbits(32)
        self.rng = random.Random(seed)
        rounds = min(request.rounds, int(ctx.plugin_settings.get("max_rounds", MAX_ROUNDS)))
        self.run_state = Run(
            self.people,
            rounds_requested=rounds,
            synthesis_model=request.synthesize_with,
            shuffle_seed=seed,
        )
        self.timeout_s = request.timeout_s or _float_or_none(ctx.plugin_settings.get("timeout_s"))
        #: Each participant's resolved model (absent: it could not be resolved and failed in place).
        self.models: dict[int, Model] = {}

    async def run(self) -> ToolResponse:
        started = time.perf_counter()
        state, request = self.run_state, self.request
        max_models = int(self.ctx.plugin_settings.get("max_models", MAX_MODELS))
        if len(self.people) > max_models:
            raise ToolError(
                f"consensus takes at most {max_models} models (plugin setting max_models); got {len(self.people)}",
                code="invalid_arguments",
            )
        thread = await self._thread()
        await self._resolve_models()
        if not self.models:
            raise self._all_failed()
        context = await self.ctx.files.gather(
            list(self.models.values()),
            prompt=request.prompt,
            system=self.ctx.prompt("system", DEFAULT_SYSTEM),
            files=request.files,
            images=request.images,
            thread=thread,
            history_share=HISTORY_SHARE,
        )
        state.files, state.history_turns = context.report(), context.history_turns
        first = {
            index: self._first_messages(self.people[index], model, context) for index, model in self.models.items()
        }
        await self.ctx.confirm_cost(await self._estimate(first), f"This consensus of {len(self.people)} models")
        steps = len(self.people) * (1 + state.rounds_requested) + (1 if request.synthesize_with else 0)
        progress = Progress(self.ctx, total=steps)

        await self._phase("initial answers", "initial", 0, first, progress)
        if not state.answered():
            state.wall_ms = (time.perf_counter() - started) * 1000
            raise self._all_failed()
        await self._cross_feedback(first, progress)
        if request.synthesize_with:
            await self._synthesize(progress)
        state.wall_ms = (time.perf_counter() - started) * 1000
        self._record_verdicts()
        await self._save(thread)
        return ToolResponse(
            status="success" if state.complete else "partial",
            data=state.data(),
            text=state.text(),
            metadata={"agreement": state.agreement().level, "continuation_id": state.continuation_id},
        )

    # -- phases ----------------------------------------------------------------------------------
    async def _estimate(self, first: dict[int, Messages]) -> float:
        """The run's cost at the configured prices: each model's question and an answer of
        ``EXPECTED_ANSWER_TOKENS``, once per round; unknown prices count as 0."""
        rounds = 1 + self.run_state.rounds_requested

        def count() -> float:
            total = 0.0
            for index, messages in first.items():
                model = self.models[index]
                prompt = model.count_tokens(messages)
                total += (model.estimate_cost(prompt, EXPECTED_ANSWER_TOKENS) or 0.0) * rounds
            return total

        return await asyncio.to_thread(count)

    async def _resolve_models(self) -> None:
        """Look every participant's model up once. A model the caller's key may not use refuses the whole
        call; an unknown or unavailable one fails in place, like a provider error."""
        for p in self.people:
            try:
                self.models[p.index] = await self.ctx.llm.model(p.model)
            except ToolError as exc:
                if exc.code == "forbidden_model":
                    raise
                status, error = error_info(exc, p.model, self.timeout_s)
                self.run_state.attempts[p.index].append(Attempt("initial", 0, status, error=error))

    def _first_messages(self, p: Participant, model: Model, context: PromptContext) -> Messages:
        return initial_messages(system_prompt(self.ctx.prompt, p), context.content(model))

    async def _phase(
        self, title: str, phase: str, round_no: int, messages: dict[int, Messages], progress: Progress
    ) -> None:
        """Ask the given participants at once; each finished call is recorded and reported."""
        people = [p for p in self.people if p.index in messages]

        async def one(p: Participant) -> None:
            attempt = await ask(
                self.ctx,
                self.models[p.index],
                messages[p.index],
                phase=phase,
                round=round_no,
                temperature=self.request.temperature,
                timeout_s=self.timeout_s,
                label=p.label,
            )
            self.run_state.attempts[p.index].append(attempt)
            await progress.step(title, len(people))
            await self.ctx.report_partial(f"{p.label} ({phase} {round_no})" if round_no else p.label, attempt.as_dict())

        unresolved = len(self.people) - len(people)
        if phase == "initial" and unresolved:
            await progress.skip(unresolved, f"{unresolved} model(s) could not be used")
        await asyncio.gather(*(one(p) for p in people))

    async def _cross_feedback(self, first: dict[int, Messages], progress: Progress) -> None:
        state = self.run_state
        for round_no in range(1, state.rounds_requested + 1):
            live = state.answered()
            remaining = (state.rounds_requested - round_no + 1) * len(self.people)
            reason = None
            if len(live) < 2:
                reason = "fewer than two models answered"
            else:  # positions have converged: another round would only cost (reported, not silent)
                latest = [state.latest_ok(p) for p in live]
                if answers_agree([a.position or "unclear" for a in latest if a is not None]):
                    reason = "answers already agree" if round_no == 1 else f"answers agree after round {round_no - 1}"
            if reason:
                state.skipped_reason = reason
                await progress.skip(remaining, f"cross-feedback skipped: {reason}")
                return
            messages: dict[int, Messages] = {}
            for p in live:
                own = state.latest_ok(p)
                others = [a.answer for q in live if q is not p and (a := state.latest_ok(q)) is not None]
                assert own is not None
                feedback = feedback_message(self.ctx.prompt, others, self.rng)
                messages[p.index] = feedback_messages(first[p.index], own.answer, feedback)
            if len(live) < len(self.people):
                await progress.skip(len(self.people) - len(live), f"round {round_no}: failed models sit out")
            previous = {p.index: state.latest_ok(p) for p in live}
            await self._phase(f"refined answers (round {round_no})", "feedback", round_no, messages, progress)
            state.rounds_run = round_no
            for p in live:
                _infer_changed(state.attempts[p.index][-1], previous[p.index])

    async def _synthesize(self, progress: Progress) -> None:
        state = self.run_state
        answers = [(p, a.answer) for p in self.people if (a := state.latest_ok(p)) is not None]
        name = self.request.synthesize_with
        assert name is not None
        try:
            if name.strip().lower() == AUTO:
                name = self._independent_synthesizer()
                state.synthesis_model = name
            model = await self.ctx.llm.model(name)
        except ToolError as exc:
            if exc.code == "forbidden_model":
                raise
            status, error = error_info(exc, name, self.timeout_s)
            state.synthesis = Attempt("synthesis", 0, status, error=error)
            await progress.step("synthesis", 1)
            return
        messages = synthesis_messages(self.ctx.prompt, self.request.prompt, answers, state.agreement().summary)
        state.synthesis = await ask(
            self.ctx,
            model,
            messages,
            phase="synthesis",
            round=0,
            temperature=self.request.temperature,
            timeout_s=self.timeout_s,
            label=name,
        )
        await progress.step("synthesis", 1)

    def _independent_synthesizer(self) -> str:
        """The best-scored model this caller may use that is not one of the answering models: a synthesis
        by one of them would weigh its own answer."""
        answering = {model.name for model in self.models.values()}
        for candidate in self.ctx.llm.available():
            if candidate.name not in answering:
                return candidate.name
        raise ToolError(
            'synthesize_with="auto" found no usable model outside the answering ones; name one to synthesize '
            "(it may be one of them) or add a model.",
            code="no_synthesizer",
        )

    def _all_failed(self) -> ToolError:
        state = self.run_state
        errors = [{"label": p.label, **(state.attempts[p.index][-1].error or {})} for p in self.people]
        lines = "\n".join(f"- {e['label']}: {e.get('message', 'unknown error')}" for e in errors)
        return ToolError(
            f"Every model failed; no consensus.\n{lines}",
            code="all_models_failed",
            details={"models": errors, "totals": state.totals()},
        )

    def _record_verdicts(self) -> None:
        """Tell Zen's usage report which models ended with the majority (when there is one)."""
        agreement = self.run_state.agreement()
        if agreement.level == "split" or agreement.leading_position is None:
            return
        for p in self.people:
            latest = self.run_state.latest_ok(p)
            if latest is not None and latest.model_used:
                self.ctx.record_verdict(latest.model_used, latest.position == agreement.leading_position)

    # -- conversation ----------------------------------------------------------------------------
    async def _thread(self) -> Thread | None:
        if not self.request.continuation_id:
            return None
        thread: Thread = await self.ctx.threads.get(self.request.continuation_id)
        return thread

    async def _save(self, thread: Thread | None) -> None:
        """Store the consensus as a conversation chat (or consensus) can continue; never fails the call."""
        state = self.run_state
        synthesized = state.synthesis is not None and state.synthesis.ok
        answered = state.answered()
        model = state.synthesis.model_used if synthesized and state.synthesis else None
        if model is None and answered:
            first = state.latest_ok(answered[0])
            model = first.model_used if first else answered[0].model
        agreement = state.agreement()
        turns = [
            Turn(
                role="user",
                content=self.request.prompt,
                files=list(self.request.files),
                images=[i for i in self.request.images if not i.startswith("data:")],
                tool="consensus",
            ),
            Turn(
                role="assistant",
                content=state.thread_summary(),
                tool="consensus",
                model=model,
                metadata={
                    "agreement": agreement.level,
                    "positions": agreement.positions,
                    "models": [p.label for p in self.people],
                },
            ),
        ]
        try:
            if thread is not None:
                await self.ctx.threads.add_turns(thread.id, turns)
                state.continuation_id = thread.id
            else:
                created = await self.ctx.threads.create(
                    "consensus",
                    initial_context={"prompt": self.request.prompt, "models": [p.label for p in self.people]},
                    turns=turns,
                )
                state.continuation_id = created.id
        except ToolError as exc:  # ThreadNotFound, ThreadFull, StoreUnavailable
            state.continuation_error = exc.message
        except Exception as exc:
            self.ctx.logger.warning("consensus: saving the conversation failed", exc_info=True)
            state.continuation_error = f"{type(exc).__name__}: {exc}"


def _infer_changed(attempt: Attempt, before: Attempt | None) -> None:
    """When a refined answer does not say whether its position changed, compare the clear positions."""
    if not attempt.ok or attempt.changed is not None or before is None:
        return
    clear = ("support", "oppose", "neutral")
    if attempt.position in clear and before.position in clear:
        attempt.changed = attempt.position != before.position


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
