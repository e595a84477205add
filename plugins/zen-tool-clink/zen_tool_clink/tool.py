"""The ``clink`` tool: run another coding CLI as a sub-agent with a role prompt and return its answer."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from zen_core import (
    StoreUnavailable,
    Thread,
    ThreadFull,
    Tool,
    ToolAnnotations,
    ToolContext,
    ToolError,
    ToolResponse,
    Turn,
    UsageRecord,
)
from zen_tool_clink import runner
from zen_tool_clink.config import PREFIX, CLIConfig, ClinkSettings, load
from zen_tool_clink.parsers import Parsed, ParseError, parse
from zen_tool_clink.prompt import build_prompt
from zen_tool_clink.request import ClinkRequest
from zen_tool_clink.result import ClinkResult

TOOL = "clink"
#: Characters of standard error quoted in an error message (its end).
STDERR_TAIL = 2000
#: Longest answer returned (the rest is cut, and the result says so).
MAX_ANSWER_CHARS = 90_000
#: Linux limits one argv string to 128 KiB (MAX_ARG_STRLEN); a longer {prompt} cannot be passed.
MAX_ARG_BYTES = 120_000
TRUNCATION_MARKER = "\n[… {dropped:,} bytes of output dropped (max_output_bytes) …]\n"


@dataclass
class Chosen:
    name: str
    cli: CLIConfig
    executable: str
    env: dict[str, str]


class ClinkTool(Tool[ClinkRequest]):
    name = "clink"
    description = (
        "Run another coding agent CLI (gemini, codex, claude, opencode or configured) as a sub-agent in "
        "working_dir with a role; it may edit files there."
    )
    request_model = ClinkRequest
    # A sub-agent CLI runs with its own tools in working_dir: depending on its flags and its own
    # configuration it can edit or delete files there, so clink is neither read-only nor harmless.
    annotations = ToolAnnotations(
        title="Run a coding CLI as a sub-agent", read_only=False, destructive=True, idempotent=False, open_world=True
    )
    output_model = ClinkResult
    max_result_chars = 100_000
    background = True
    prompt_template: ClassVar[str | None] = (
        "Use the `clink` tool of the zen MCP server to ask another coding CLI: {request}"
    )

    async def execute(self, request: ClinkRequest, ctx: ToolContext) -> ToolResponse:
        settings = load(ctx.plugin_settings)
        if not ctx.caller.is_local and not settings.allow_http:
            raise ToolError(
                "clink is off over HTTP: it would run a coding agent on the server's machine with the server's "
                f"credentials. An administrator can allow it with {PREFIX}.allow_http: true.",
                code="clink_http_disabled",
            )
        chosen = _choose_cli(request, settings)
        roles = settings.roles_for(chosen.cli)
        if request.role not in roles:
            raise ToolError(
                f"Unknown role '{request.role}' for CLI '{chosen.name}'. Roles: {', '.join(sorted(roles))} "
                f"(add more under {PREFIX}.roles or {PREFIX}.clis.{chosen.name}.roles).",
                code="invalid_arguments",
            )
        thread = await ctx.threads.get(request.continuation_id) if request.continuation_id else None
        if thread is not None and len(thread.turns) + 2 > ctx.threads.max_turns:
            raise ThreadFull(thread.id, ctx.threads.max_turns)
        working_dir = await asyncio.to_thread(_check_working_dir, ctx, request.working_dir or os.getcwd())
        files, skipped = await asyncio.to_thread(_check_files, ctx, request.files)

        session_id, since = _resumable(thread, chosen, working_dir)
        resume = session_id is not None
        history = list(thread.turns[since:]) if thread is not None else []
        same_role = resume and thread is not None and _last_role(thread, chosen.name) == request.role
        prompt, report = build_prompt(
            request=request.prompt,
            role_prompt=None if same_role else roles[request.role],
            history=history,
            max_history_chars=settings.max_history_chars,
            files=files,
        )
        timeout = float(request.timeout_s or chosen.cli.timeout_s or settings.timeout_s)
        result, parsed = await self._run(
            ctx, chosen, settings, prompt, working_dir, files, session_id, timeout, request
        )

        answer = parsed.answer
        notes = list(parsed.notes)
        truncated: dict[str, Any] | None = None
        if result.stdout.dropped:
            truncated = {
                "stdout_bytes": result.stdout.total,
                "dropped_bytes": result.stdout.dropped,
                "max_output_bytes": settings.max_output_bytes,
            }
            notes.append(
                f"The CLI wrote {result.stdout.total:,} bytes; {result.stdout.dropped:,} were dropped "
                f"(limit {PREFIX}.max_output_bytes = {settings.max_output_bytes:,})."
            )
        if len(answer) > MAX_ANSWER_CHARS:
            truncated = {**(truncated or {}), "answer_chars": len(answer), "answer_kept_chars": MAX_ANSWER_CHARS}
            notes.append(f"The answer had {len(answer):,} characters; the first {MAX_ANSWER_CHARS:,} are returned.")
            answer = answer[:MAX_ANSWER_CHARS]
        if report["omitted_turns"]:
            notes.append(f"{report['omitted_turns']} older turn(s) of the conversation were not sent (too long).")
        outside = [str(p) for p in files if not _inside(p, Path(working_dir))]
        if outside:
            notes.append("Some files are outside working_dir; some CLIs only read inside their working directory.")
        notes += [f"Skipped {s['path']}: {s['reason']}" for s in skipped]

        usage = _usage(parsed)
        facts: dict[str, Any] = {
            "cli": chosen.name,
            "role": request.role,
            "working_dir": working_dir,
            "session_id": parsed.session_id or session_id,
            "resumed": resume,
            "model_used": parsed.model,
            "usage": usage,
            "cost_usd": parsed.cost_usd,
            "duration_ms": round(result.duration_s * 1000, 1),
            "exit_code": result.exit_code,
        }
        user = Turn(
            role="user",
            content=request.prompt,
            files=request.files,
            tool=TOOL,
            metadata={"cli": chosen.name, "role": request.role, "working_dir": working_dir},
        )
        assistant = Turn(
            role="assistant",
            content=answer,
            tool=TOOL,
            model=parsed.model,
            metadata={k: v for k, v in facts.items() if v is not None},
        )
        not_saved = None
        try:
            if thread is None:
                initial = {"prompt": request.prompt, "files": request.files, "cli": chosen.name}
                thread_id = (await ctx.threads.create(TOOL, initial_context=initial, turns=[user, assistant])).id
            else:
                await ctx.threads.add_turns(thread.id, [user, assistant])
                thread_id = thread.id
        except StoreUnavailable as exc:  # the CLI already ran: return its answer, and say it was not kept
            not_saved = f"{exc.message} The answer could not be saved, so it cannot be continued."
            thread_id = ""
        data = ClinkResult(
            answer=answer,
            continuation_id=thread_id,
            files={"passed": [str(p) for p in files], "skipped": skipped} if files or skipped else None,
            truncated=truncated,
            notes=notes or None,
            not_saved=not_saved,
            **facts,
        )
        await ctx.report_progress(result.duration_s, timeout, f"clink · {chosen.name} answered")
        return ToolResponse(data=data.model_dump(exclude_none=True), text=_render(data))

    # -- running the CLI -----------------------------------------------------------------------
    async def _run(
        self,
        ctx: ToolContext,
        chosen: Chosen,
        settings: ClinkSettings,
        prompt: str,
        working_dir: str,
        files: list[Path],
        session_id: str | None,
        timeout: float,
        request: ClinkRequest,
    ) -> tuple[runner.RunResult, Parsed]:
        cli = chosen.cli
        resume = session_id is not None
        mode = cli.prompt_mode(resume)
        tmpdir = tempfile.mkdtemp(prefix="zen-clink-") if mode == "file" else None
        try:
            prompt_file = ""
            if tmpdir is not None:
                prompt_file = os.path.join(tmpdir, "prompt.md")
                await asyncio.to_thread(Path(prompt_file).write_text, prompt, encoding="utf-8")
            elif mode == "arg" and len(prompt.encode()) > MAX_ARG_BYTES:
                raise ToolError(
                    f"The prompt for CLI '{chosen.name}' is {len(prompt.encode()):,} bytes, too long for one "
                    f"argument ({{prompt}}); use {{prompt_file}} or standard input in "
                    f"{PREFIX}.clis.{chosen.name}.args.",
                    code="prompt_too_long",
                )
            values = {
                "prompt": prompt,
                "prompt_file": prompt_file,
                "working_dir": working_dir,
                "session_id": session_id or "",
            }
            template = (cli.resume_args or []) if resume else cli.args
            argv = [chosen.executable, *cli.command[1:], *(_fill(a, values) for a in template)]
            for path in files:
                argv += [_fill(a, {"file": str(path)}) for a in cli.file_args]
            spec = runner.RunSpec(
                argv=argv,
                cwd=working_dir,
                env=chosen.env,
                stdin=prompt.encode() if mode == "stdin" else None,
                timeout_s=timeout,
                max_output_bytes=settings.max_output_bytes,
                kill_grace_s=settings.kill_grace_s,
                heartbeat_s=settings.heartbeat_s,
            )
            label = f"clink · {chosen.name} ({request.role})"

            async def beat(elapsed: float) -> None:
                await ctx.report_progress(elapsed, timeout, f"{label} · running {elapsed:.0f}s of {timeout:.0f}s")

            await ctx.report_progress(0, timeout, f"{label} · starting in {working_dir}")
            try:
                result = await runner.run(spec, beat)
            except OSError as exc:
                raise _not_startable(chosen, exc) from exc
        finally:
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)
        return result, self._outcome(ctx, chosen, result, timeout)

    def _outcome(self, ctx: ToolContext, chosen: Chosen, result: runner.RunResult, timeout: float) -> Parsed:
        """The parsed answer; a ToolError for a timeout, a failed exit, an error the CLI reported, or
        output that cannot be read. Usage the CLI reported is recorded in every case."""
        name = chosen.name
        stderr = _tail(result.stderr)
        stdout = result.stdout.text(TRUNCATION_MARKER)
        details: dict[str, Any] = {"cli": name, "exit_code": result.exit_code, "stderr_tail": stderr}
        if result.timed_out:
            raise ToolError(
                f"CLI '{name}' did not finish within {timeout:g} s and was stopped (its whole process group). "
                f"Pass a larger timeout_s, or set {PREFIX}.clis.{name}.timeout_s."
                + (f"\nLast standard error:\n{stderr}" if stderr else ""),
                code="cli_timeout",
                details={**details, "timeout_s": timeout},
            )
        parsed: Parsed | None = None
        parse_error: str | None = None
        try:
            parsed = parse(chosen.cli.parser, stdout)
        except ParseError as exc:
            parse_error = str(exc)
        if parsed is not None and parsed.has_usage:
            ctx.record_usage(_record(name, parsed, result, error=result.exit_code != 0 or parsed.error is not None))
        if result.exit_code != 0:
            code = result.exit_code
            how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
            reported = f"\nIt reported: {parsed.error}" if parsed is not None and parsed.error else ""
            raise ToolError(
                f"CLI '{name}' ({chosen.executable}) {how}.{reported}"
                + (f"\nLast standard error:\n{stderr}" if stderr else "\nIt wrote nothing to standard error."),
                code="cli_failed",
                details=details,
            )
        if parsed is None:
            shown = stdout.strip()[:500]
            cut = " (the output was cut at max_output_bytes)" if result.stdout.dropped else ""
            raise ToolError(
                f"CLI '{name}' exited 0 but its output could not be read with parser '{chosen.cli.parser}': "
                f"{parse_error}{cut}. Set {PREFIX}.clis.{name}.parser to match its output (text, json or jsonl)."
                + (f"\nOutput began: {shown}" if shown else "\nIt printed nothing."),
                code="cli_bad_output",
                details=details,
            )
        if parsed.error:
            raise ToolError(f"CLI '{name}' reported an error: {parsed.error}", code="cli_error", details=details)
        if not parsed.answer:
            raise ToolError(
                f"CLI '{name}' finished without an answer." + (f"\nLast standard error:\n{stderr}" if stderr else ""),
                code="cli_empty_answer",
                details=details,
            )
        return parsed


# -- choosing and checking ---------------------------------------------------------------------
def _choose_cli(request: ClinkRequest, settings: ClinkSettings) -> Chosen:
    enabled = settings.enabled()
    names = ", ".join(sorted(enabled)) or "none"
    if request.cli:
        if request.cli not in settings.clis:
            raise ToolError(
                f"Unknown CLI '{request.cli}'. Configured: {names}. Add one under {PREFIX}.clis in a YAML file of "
                "your Zen config dir (see docs/tools/clink.md).",
                code="invalid_arguments",
            )
        if request.cli not in enabled:
            raise ToolError(
                f"CLI '{request.cli}' is disabled ({PREFIX}.clis.{request.cli}.enabled: false). Enabled: {names}.",
                code="invalid_arguments",
            )
        return _locate(request.cli, enabled[request.cli])
    if settings.default_cli:
        if settings.default_cli not in enabled:
            raise ToolError(
                f"{PREFIX}.default_cli is '{settings.default_cli}', which is not an enabled CLI. Enabled: {names}.",
                code="config_error",
            )
        return _locate(settings.default_cli, enabled[settings.default_cli])
    for name, cli in enabled.items():
        try:
            return _locate(name, cli)
        except ToolError:
            continue
    raise ToolError(
        f'No CLI given and none of the configured ones is installed ({names}). Install one, pass "cli", or set '
        f"{PREFIX}.clis.<name>.command to its full path.",
        code="cli_not_found",
    )


def _locate(name: str, cli: CLIConfig) -> Chosen:
    env = {**os.environ, **cli.env}
    command = cli.command[0]
    if os.sep in command:
        found = command if os.path.isfile(command) and os.access(command, os.X_OK) else None
    else:
        found = shutil.which(command, path=env.get("PATH", os.defpath))
    if found is None:
        raise ToolError(
            f"CLI '{name}': command '{command}' was not found"
            + ("" if os.sep in command else " on PATH")
            + f". Install it, or set {PREFIX}.clis.{name}.command to its full path (a list, e.g. "
            f'["/usr/local/bin/{os.path.basename(command)}"]) in a YAML file of your Zen config dir.',
            code="cli_not_found",
            details={"cli": name, "command": command},
        )
    return Chosen(name, cli, found, env)


def _not_startable(chosen: Chosen, exc: OSError) -> ToolError:
    return ToolError(
        f"CLI '{chosen.name}': could not start {chosen.executable}: {exc.strerror or exc}. Check "
        f"{PREFIX}.clis.{chosen.name}.command (a list whose first item is the executable).",
        code="cli_not_found",
        details={"cli": chosen.name, "command": chosen.executable},
    )


def _check_working_dir(ctx: ToolContext, raw: str) -> str:
    """``raw`` when it is a directory this caller may read (same rules as files); else a ToolError."""
    if not ctx.files.enabled:
        raise ToolError(
            "clink needs a working directory this caller may use, and none is allowed here (no file roots "
            "for this server or API key; set files.allowed_roots or the key's --roots).",
            code="file_access_off",
        )
    accepted, refused = ctx.files.resolve([raw], expand_dirs=False)
    if accepted:
        raise ToolError(f'"working_dir" {raw} is a file; pass a directory.', code="invalid_arguments")
    bad = refused[0]
    # A directory that passed every check (absolute, inside the roots, not secret, not Zen's own,
    # existing) comes back as "unreadable: a directory" because directories were not to be expanded.
    if bad.kind == "unreadable" and os.path.isdir(raw):
        return os.path.realpath(raw)
    raise ToolError(
        f'Refused "working_dir" (the CLI was not started):\n- {raw}: {bad.reason}',
        code="path_refused",
        details={"refused": [bad.as_dict()]},
    )


def _check_files(ctx: ToolContext, paths: list[str]) -> tuple[list[Path], list[dict[str, Any]]]:
    if not paths:
        return [], []
    accepted, refused = ctx.files.resolve(paths)
    named = [r for r in refused if r.requested]
    if named:
        lines = ["Refused files (the CLI was not started):"] + [f"- {r.path}: {r.reason}" for r in named]
        raise ToolError("\n".join(lines), code="path_refused", details={"refused": [r.as_dict() for r in named]})
    return list(accepted), [r.as_dict() for r in refused]


def _resumable(thread: Thread | None, chosen: Chosen, working_dir: str) -> tuple[str | None, int]:
    """The CLI session to resume (its id, and the index of the first turn it has not seen)."""
    if thread is None:
        return None, 0
    for index in range(len(thread.turns) - 1, -1, -1):
        turn = thread.turns[index]
        meta = turn.metadata
        if turn.role == "assistant" and turn.tool == TOOL and meta.get("cli") == chosen.name:
            session = meta.get("session_id")
            if chosen.cli.resume_args and session and meta.get("working_dir") == working_dir:
                return str(session), index + 1
            return None, 0
    return None, 0


def _last_role(thread: Thread, cli: str) -> str | None:
    for turn in reversed(thread.turns):
        if turn.role == "assistant" and turn.tool == TOOL and turn.metadata.get("cli") == cli:
            role = turn.metadata.get("role")
            return str(role) if role else None
    return None


# -- small helpers -----------------------------------------------------------------------------
def _fill(item: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        item = item.replace("{" + key + "}", value)
    return item


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _tail(capture: runner.Capture) -> str:
    text = capture.text().strip()
    if len(text) > STDERR_TAIL:
        text = "…" + text[-STDERR_TAIL:]
    return text


def _usage(parsed: Parsed) -> dict[str, int] | None:
    if parsed.prompt_tokens is None and parsed.completion_tokens is None:
        return None
    prompt, completion = parsed.prompt_tokens or 0, parsed.completion_tokens or 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _record(name: str, parsed: Parsed, result: runner.RunResult, *, error: bool) -> UsageRecord:
    return UsageRecord(
        model=f"clink:{name}",
        model_used=parsed.model or f"clink:{name}",
        prompt_tokens=parsed.prompt_tokens or 0,
        completion_tokens=parsed.completion_tokens or 0,
        cost_usd=parsed.cost_usd or 0.0,
        cost_known=parsed.cost_usd is not None,
        latency_ms=result.duration_s * 1000,
        error="cli_error" if error else None,
    )


def _render(data: ClinkResult) -> str:
    facts = [f"clink: {data.cli} ({data.role}) in {data.working_dir}"]
    if data.duration_ms is not None:
        facts.append(f"{data.duration_ms / 1000:.1f} s")
    if data.model_used:
        facts.append(data.model_used)
    if data.usage:
        facts.append(f"{data.usage['total_tokens']:,} tokens")
    if data.cost_usd is not None:
        facts.append(f"${data.cost_usd:.4f}")
    if data.session_id:
        facts.append(f"session {data.session_id}" + (" (resumed)" if data.resumed else ""))
    footer = [" · ".join(facts)]
    footer += list(data.notes or [])
    if data.not_saved:
        footer.append(f"Not saved: {data.not_saved}")
    else:
        footer.append(f"continuation_id: {data.continuation_id} (pass it to clink, chat or another Zen tool)")
    return data.answer + "\n\n---\n" + "\n".join(footer)
