"""One review call (``codereview``, ``precommit`` or ``secaudit``): gather the code or the git changes, ask
every model at once, read their JSON findings, merge them, and report.

All run state lives in a :class:`Review` made per call; the tool instances hold none.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from zen_core import (
    Completion,
    DiffContext,
    GitChanges,
    Model,
    PromptContext,
    Thread,
    ThreadFull,
    ToolContext,
    ToolError,
    ToolResponse,
    Turn,
)
from zen_tool_review.findings import SEVERITY_RANK, Parsed, parse_answer
from zen_tool_review.merge import merge, same_file, sort_findings
from zen_tool_review.prompts import SYSTEM, instructions
from zen_tool_review.render import render_text
from zen_tool_review.requests import MAX_MODELS, Severity
from zen_tool_review.results import Finding, ModelReport, PrecommitResult, ReviewResult

#: Share of the input budget kept for the earlier conversation when continuing one.
HISTORY_SHARE = 0.25
#: Share of the input budget the changes may take when files are reviewed too (the files get the rest).
CHANGES_SHARE_WITH_FILES = 0.5
#: Tokens kept free besides what gather keeps (its framing, and token counts that need not add up).
SLACK_TOKENS = 128
#: Sampling temperature for reviews (clamped or dropped per model by Zen).
TEMPERATURE = 0.2
#: Longest unreadable answer kept in full in the result.
MAX_RAW_ANSWER = 20_000
#: Most entries of each list of the changes report in a result (the rest are counted in ``omitted``).
LIST_CAP = 200
#: Who raised a finding Zen found itself (a credential in the changes), as a "model".
SECRET_SCAN = "zen secret scan"
#: The answer length a cost estimate assumes for each reviewer (as consensus assumes for each model).
EXPECTED_ANSWER_TOKENS = 800
#: How the question before an expensive fan-out names each tool's call.
WHAT = {"codereview": "This code review", "precommit": "This pre-commit check", "secaudit": "This security audit"}


@dataclass(frozen=True)
class GitScope:
    """Which changes to collect (see ``ctx.files.git_changes``)."""

    repo: str
    staged: bool = True
    unstaged: bool = True
    compare_to: str | None = None
    untracked: bool = False


@dataclass(frozen=True)
class Job:
    """What one call asks for, whichever tool it came through."""

    tool: str
    files: list[str] = field(default_factory=list)
    git: GitScope | None = None
    focus: str = "all"
    min_severity: Severity = "low"
    prompt: str | None = None
    model: str | None = None
    models: list[str] = field(default_factory=list)
    continuation_id: str | None = None


@dataclass
class Attempt:
    """One model's review: its answer (or error), and what was read from it."""

    label: str
    requested: str
    completion: Completion | None = None
    parsed: Parsed | None = None
    error: dict[str, Any] | None = None
    latency_ms: float = 0.0

    @property
    def answered(self) -> bool:
        return self.completion is not None

    def report(self) -> ModelReport:
        c, p = self.completion, self.parsed
        if c is None or p is None:
            return ModelReport(
                label=self.label, model=self.requested, status="error", error=self.error, latency_ms=self.latency_ms
            )
        status: Literal["ok", "partly_parsed", "unparsed"]
        if not p.readable:
            status = "unparsed"
        elif p.unparsed or p.note:
            status = "partly_parsed"
        else:
            status = "ok"
        raw = None
        if not p.readable:
            raw = c.text if len(c.text) <= MAX_RAW_ANSWER else c.text[:MAX_RAW_ANSWER] + "\n[… cut]"
        return ModelReport(
            label=self.label,
            model=self.requested,
            status=status,
            model_used=c.model_used,
            findings=len(p.findings),
            summary=p.summary or None,
            verdict=p.verdict,
            note=p.note,
            raw=raw,
            usage=c.usage.model_dump(),
            cost_usd=c.cost_usd,
            latency_ms=round(c.latency_ms, 1),
        )


class Review:
    """One call of a review tool. Made per call; never shared between calls."""

    def __init__(self, job: Job, ctx: ToolContext) -> None:
        self.job = job
        self.ctx = ctx
        self.attempts: list[Attempt] = []
        self.changes: GitChanges | None = None
        self.fitted: DiffContext | None = None
        self.prepared: PromptContext | None = None
        self.done = 0
        self.steps = 0

    async def run(self) -> ToolResponse:
        job, ctx = self.job, self.ctx
        thread = await ctx.threads.get(job.continuation_id) if job.continuation_id else None
        if thread is not None and len(thread.turns) + 2 > ctx.threads.max_turns:
            raise ThreadFull(thread.id, ctx.threads.max_turns)
        names = self._names()
        limit = int(ctx.plugin_settings.get("max_models", MAX_MODELS))
        if len(names) > limit:
            raise ToolError(
                f'"models" takes at most {limit} models (plugin setting max_models); got {len(names)}.',
                code="invalid_arguments",
            )
        self.steps = 3 + max(len(names), 1)
        system = ctx.prompt("system", SYSTEM[job.tool])
        if job.git is not None:
            await self._progress("collecting the git changes")
            self.changes = await ctx.files.git_changes(
                job.git.repo,
                staged=job.git.staged,
                unstaged=job.git.unstaged,
                compare_to=job.git.compare_to,
                untracked=job.git.untracked,
            )
            if not self.changes.files and not job.files:
                raise ToolError(
                    f"No changes to review in {self.changes.repo}: {self.changes.scope} found nothing. "
                    "Stage or make changes, set compare_to, or include untracked files.",
                    code="no_changes",
                    details={"changes": self.changes.as_dict()},
                )
        else:
            await self._progress("reading the files")
        people = await self._models(thread)
        request = instructions(
            job.tool,
            focus=job.focus,
            min_severity=job.min_severity,
            prompt=job.prompt,
            has_changes=self.changes is not None,
            has_files=bool(job.files),
        )
        models = [m for _, m in people]
        if self.changes is not None:
            self.fitted = await self._fit_changes(models, system, request, thread)
            request = f"=== CHANGES ===\n{self.fitted.text}\n=== END OF CHANGES ===\n\n{request}"
        self.prepared = await ctx.files.gather(
            models,
            prompt=request,
            system=system,
            files=job.files,
            thread=thread,
            history_share=1.0 if not job.files else HISTORY_SHARE,
        )
        if len(people) > 1:  # a fan-out multiplies the cost: above the threshold the user is asked first
            estimate = await self._estimate(people, system)
            await ctx.confirm_cost(estimate, f"{WHAT.get(job.tool, 'This review')} by {len(people)} models")
        await self._progress(f"asking {len(people)} model(s)")
        await self._ask_all(people, system)
        if not any(a.answered for a in self.attempts):
            raise self._all_failed()
        await self._progress("merging the findings")
        return await self._result(thread)

    # -- models ------------------------------------------------------------------------------------
    async def _models(self, thread: Thread | None) -> list[tuple[str, Model]]:
        """``(label, model)`` per requested model; labels are unique (``gpt-5#2`` for a repeat)."""
        names = self._names()
        if not names:
            return [(model.name, model) for model in [await self._default_model(thread)]]
        totals = Counter(names)
        seen: Counter[str] = Counter()
        people = []
        for name in names:
            seen[name] += 1
            label = name if totals[name] == 1 else f"{name}#{seen[name]}"
            people.append((label, await self.ctx.llm.model(name)))
        return people

    def _names(self) -> list[str]:
        """The models asked for: ``models``, with ``model`` first when given too."""
        names = [n.strip() for n in self.job.models if n.strip()]
        single = (self.job.model or "").strip()
        if single and single not in names:
            names.insert(0, single)
        return names

    async def _default_model(self, thread: Thread | None) -> Model:
        """The model that answered last in the conversation (if the caller may still use it), else the default."""
        if thread is not None and thread.last_model:
            try:
                return await self.ctx.llm.model(thread.last_model)
            except ToolError:
                pass
        return await self.ctx.llm.default_model()

    # -- context -----------------------------------------------------------------------------------
    async def _fit_changes(self, models: list[Model], system: str, request: str, thread: Thread | None) -> DiffContext:
        """The changes fitted to what the smallest context window leaves after the answer, the prompts and
        (when continuing, or with files) a share for the conversation and the files."""
        assert self.changes is not None
        smallest = min(models, key=lambda m: m.context_window)
        window = smallest.context_window
        answer = min(min(m.max_output_tokens for m in models), window // 4)
        fixed = smallest.count_tokens(system) + smallest.count_tokens(request) + SLACK_TOKENS
        budget = window - answer - fixed
        if thread is not None and thread.turns:
            budget = int(budget * (1 - HISTORY_SHARE))
        if self.job.files:
            budget = int(budget * CHANGES_SHARE_WITH_FILES)
        fitted = await asyncio.to_thread(
            self.changes.fit, budget_tokens=max(budget, 0), count_tokens=smallest.count_tokens
        )
        if not fitted.text:
            raise ToolError(
                f"The changes do not fit model {smallest.name} (context window {window:,} tokens): not even the "
                f"list of the {len(self.changes.files)} changed files fits in {max(budget, 0):,} tokens. Use a "
                "model with a larger context window, or review a subdirectory.",
                code="prompt_too_long",
            )
        return fitted

    # -- asking ------------------------------------------------------------------------------------
    async def _estimate(self, people: list[tuple[str, Model]], system: str) -> float:
        """The call's cost at the configured prices: each reviewer's request (counted by its tokenizer, once
        per model) and an answer of ``EXPECTED_ANSWER_TOKENS``; unknown prices count as 0."""
        assert self.prepared is not None
        messages = {model.name: (model, self.prepared.messages(system, model)) for _, model in people}

        def count() -> dict[str, int]:
            return {name: model.count_tokens(sent) for name, (model, sent) in messages.items()}

        prompt_tokens = await asyncio.to_thread(count)
        return sum(model.estimate_cost(prompt_tokens[model.name], EXPECTED_ANSWER_TOKENS) or 0.0 for _, model in people)

    async def _ask_all(self, people: list[tuple[str, Model]], system: str) -> None:
        assert self.prepared is not None
        single = len(people) == 1
        repeated = len({m.name for _, m in people}) < len(people)

        async def one(label: str, model: Model) -> Attempt:
            attempt = Attempt(label, model.requested)
            started = time.perf_counter()
            try:
                attempt.completion = await self.ctx.llm.complete(
                    model,
                    self.prepared.messages(system, model) if self.prepared else [],
                    temperature=TEMPERATURE,
                    cache=False if repeated else None,
                    metadata={"tool": self.job.tool, "reviewer": label},
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if single:
                    raise  # one model: its error is the call's error, with the provider's words
                attempt.error = _error_info(exc, model.requested)
                self.ctx.logger.info("%s: %s failed: %s", self.job.tool, label, attempt.error["message"])
            attempt.latency_ms = (time.perf_counter() - started) * 1000
            if attempt.completion is not None:
                attempt.parsed = parse_answer(attempt.completion.text, security=self.job.tool == "secaudit")
                if not attempt.completion.text.strip():
                    attempt.parsed.note = "the model returned an empty answer"
            await self._progress(f"{label} answered" if attempt.answered else f"{label} failed")
            return attempt

        self.attempts = list(await asyncio.gather(*(one(label, model) for label, model in people)))

    def _all_failed(self) -> ToolError:
        lines = "\n".join(f"- {a.label}: {(a.error or {}).get('message', 'unknown error')}" for a in self.attempts)
        return ToolError(
            f"Every model failed; no review.\n{lines}",
            code="all_models_failed",
            details={"models": [{"label": a.label, **(a.error or {})} for a in self.attempts]},
        )

    async def _progress(self, message: str) -> None:
        self.done = min(self.done + 1, self.steps or 1)
        await self.ctx.report_progress(self.done, self.steps or None, message)

    # -- findings ----------------------------------------------------------------------------------
    def _findings(self) -> tuple[list[Finding], list[dict[str, Any]]]:
        """All findings merged (paths made absolute where they name a reviewed file), and the unreadable ones."""
        per_model: list[tuple[str, list[Finding]]] = []
        unparsed: list[dict[str, Any]] = []
        for attempt in self.attempts:
            if attempt.parsed is None:
                continue
            found = [f.model_copy(update={"file": self._absolute(f.file)}) for f in attempt.parsed.findings]
            per_model.append((attempt.label, found))
            unparsed += [{"model": attempt.label, **u} for u in attempt.parsed.unparsed]
        merged = merge(per_model)
        return sort_findings(merged + self._secret_findings()), unparsed

    def _absolute(self, path: str | None) -> str | None:
        """A reviewed file's absolute path for ``path`` as the model wrote it (relative, or ``a/...``)."""
        if not path or path.startswith("/"):
            return path
        known = list(self.prepared.included) if self.prepared else []
        if self.changes is not None:
            known += [self.changes.path(c) for c in self.changes.files]
        return next((k for k in known if same_file(k, path)), path)

    def _secret_findings(self) -> list[Finding]:
        """What Zen found itself: credentials added by the changes, and secret files in them."""
        if self.changes is None:
            return []
        out = []
        for change in self.changes.files:
            path = self.changes.path(change)
            for line in change.credential_lines:
                out.append(
                    Finding(
                        severity="critical",
                        file=path,
                        line=line,
                        issue="A credential-shaped value (an API key or private key) is added here. Zen withheld "
                        "this file's changes from the model to protect it, so the rest of the file was not reviewed.",
                        fix="Remove it from the change and load it from the environment or a secret manager; rotate "
                        "the key if it was ever pushed or shared.",
                        owasp="A02:2021 Cryptographic Failures" if self.job.tool == "secaudit" else None,
                        models=[SECRET_SCAN],
                    )
                )
            if (
                change.secret
                and not change.credential_lines
                and change.status != "deleted"
                and change.kind != "submodule"
            ):
                out.append(
                    Finding(
                        severity="medium",
                        file=path,
                        issue=f"{change.path} looks like a secrets file; Zen did not send its content to the "
                        "model, so it was not reviewed.",
                        fix="Make sure it is meant to be committed and holds no real credentials; otherwise remove "
                        "it from the change and add it to .gitignore.",
                        models=[SECRET_SCAN],
                    )
                )
        return out

    # -- result ------------------------------------------------------------------------------------
    async def _result(self, thread: Thread | None) -> ToolResponse:
        job = self.job
        everything, unparsed = self._findings()
        threshold = SEVERITY_RANK[job.min_severity]
        shown = [f for f in everything if SEVERITY_RANK[f.severity] <= threshold]
        reports = [a.report() for a in self.attempts]
        answered = [a for a in self.attempts if a.completion is not None]
        prompt_tokens = sum(a.completion.usage.prompt_tokens for a in answered if a.completion)
        completion_tokens = sum(a.completion.usage.completion_tokens for a in answered if a.completion)
        left_out = bool(self.fitted and self.fitted.excluded) or bool(self.prepared and self.prepared.excluded)
        complete = all(r.status == "ok" for r in reports) and not left_out
        data: dict[str, Any] = {
            "summary": _summary(self.attempts),
            "findings": [f.model_dump(exclude_none=True) for f in shown],
            "continuation_id": "",
            "counts": {s: sum(1 for f in shown if f.severity == s) for s in SEVERITY_RANK},
            "hidden_below_min_severity": len(everything) - len(shown),
            "unparsed": unparsed,
            "complete": complete,
            "model_used": ", ".join(dict.fromkeys(a.completion.model_used for a in answered if a.completion)),
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "cost_usd": round(sum(a.completion.cost_usd for a in answered if a.completion), 8),
            "cost_known": all(a.completion.cost_known for a in answered if a.completion),
            "models": [r.model_dump(exclude_none=True) for r in reports],
        }
        if self.prepared is not None and (job.files or self.prepared.history_turns or self.prepared.omitted_turns):
            report = self.prepared.report()
            data["files"] = {k: report[k] for k in ("included", "excluded", "skipped")}
            if "history" in report:
                data["files"]["history"] = report["history"]
        if self.changes is not None and self.fitted is not None:
            data["changes"] = _capped({**self.changes.as_dict(), "diff": self.fitted.report()})
        if job.tool == "precommit":
            data["verdict"], data["blocking"] = _verdict(self.attempts, everything)
        text = render_text(job, data, self.attempts, self.fitted, self.prepared)
        data["continuation_id"], not_saved = await self._save(thread, text, data)
        if not_saved:
            data["not_saved"] = not_saved
        model = PrecommitResult if job.tool == "precommit" else ReviewResult
        model.model_validate(data)  # the result matches the declared outputSchema
        footer = (
            f"Not saved: {not_saved}"
            if not_saved
            else f"continuation_id: {data['continuation_id']} (pass it to chat or another Zen tool to continue)"
        )
        return ToolResponse(
            status="success" if complete else "partial",
            data=data,
            text=f"{text}\n\n{footer}",
            metadata={"tool": job.tool, "models": [a.label for a in self.attempts]},
        )

    async def _save(self, thread: Thread | None, text: str, data: dict[str, Any]) -> tuple[str, str | None]:
        """Store the review as a conversation any tool can continue; never fails the call."""
        job = self.job
        files = list(job.files)
        if self.changes is not None and self.fitted is not None:
            files += [self.changes.path(c) for c in self.changes.files if c.path in self.fitted.included]
        model = next((a.completion.model_used for a in self.attempts if a.completion), None)
        metadata: dict[str, Any] = {"findings": len(data["findings"]), "counts": data["counts"]}
        if "verdict" in data:
            metadata["verdict"] = data["verdict"]
        turns = [
            Turn(role="user", content=_describe(job, self.changes), files=files, tool=job.tool),
            Turn(role="assistant", content=text, tool=job.tool, model=model, metadata=metadata),
        ]
        try:
            if thread is not None:
                await self.ctx.threads.add_turns(thread.id, turns)
                return thread.id, None
            created = await self.ctx.threads.create(
                job.tool, initial_context={"prompt": turns[0].content, "files": files}, turns=turns
            )
            return created.id, None
        except ToolError as exc:  # ThreadNotFound, ThreadFull, StoreUnavailable: the review was paid for
            return "", f"{exc.message} The review could not be saved, so it cannot be continued."


def _capped(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes report with each list cut at :data:`LIST_CAP` entries (a commit of thousands of files
    would otherwise make a result clients cannot show); ``omitted`` says how many were cut from which."""
    omitted: dict[str, int] = {}
    for holder, key, name in (
        (changes, "files", "files"),
        (changes["diff"], "included", "diff.included"),
        (changes["diff"], "excluded", "diff.excluded"),
        (changes["diff"], "not_sent", "diff.not_sent"),
    ):
        if len(holder[key]) > LIST_CAP:
            omitted[name] = len(holder[key]) - LIST_CAP
            holder[key] = holder[key][:LIST_CAP]
    if omitted:
        changes["omitted"] = omitted
    return changes


def _verdict(attempts: list[Attempt], findings: list[Finding]) -> tuple[str, int]:
    """``no_go`` when any model says so or any finding (shown or not) is critical or high; ``go`` when some
    answer was read and none of that holds; ``unknown`` when no answer could be read."""
    blocking = sum(1 for f in findings if f.severity in ("critical", "high"))
    said = [a.parsed.verdict for a in attempts if a.parsed is not None and a.parsed.readable]
    if blocking or "no_go" in said:
        return "no_go", blocking
    if said:
        return "go", blocking
    return "unknown", blocking


def _summary(attempts: list[Attempt]) -> str:
    summaries = [(a.label, a.parsed.summary) for a in attempts if a.parsed is not None and a.parsed.summary]
    if len(attempts) == 1:
        return summaries[0][1] if summaries else ""
    return "\n".join(f"{label}: {text}" for label, text in summaries)


def _describe(job: Job, changes: GitChanges | None) -> str:
    """The user turn of the stored conversation: what was reviewed."""
    parts = [f"{job.tool} request"]
    if job.focus != "all" and job.tool == "codereview":
        parts.append(f"focus: {job.focus}")
    if job.min_severity != "low":
        parts.append(f"min_severity: {job.min_severity}")
    lines = [", ".join(parts) + "."]
    if changes is not None:
        lines.append(f"Git changes in {changes.repo}: {changes.scope} ({len(changes.files)} files).")
    if job.files:
        lines.append("Files: " + ", ".join(job.files))
    if job.prompt and job.prompt.strip():
        lines.append(job.prompt.strip())
    return "\n".join(lines)


def _error_info(exc: BaseException, model: str) -> dict[str, Any]:
    """The error of a failed model call, keeping the provider's own words."""
    if isinstance(exc, ToolError):
        info: dict[str, Any] = {"code": exc.code, "message": exc.message, "model": model}
        for key in ("provider", "status_code", "provider_message"):
            if key in exc.details:
                info[key] = exc.details[key]
        return info
    return {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}", "model": model}
