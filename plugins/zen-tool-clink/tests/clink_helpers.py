"""Fake coding CLIs (small Python scripts made executable in a temporary directory) and helpers for
the clink tests.

Every fake appends what it received (argv, cwd, stdin, an env marker) as one JSON line to the file named
by ``FAKE_RECORD``, so a test can check exactly what clink passed; the fakes of the shipped CLIs also
check that they were called with the documented flags, and fail like the real ones would otherwise.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

PREAMBLE = f"""#!{sys.executable}
import json, os, signal, subprocess, sys, time
ARGV = sys.argv[1:]
STDIN = sys.stdin.read()
def record(**extra):
    path = os.environ.get("FAKE_RECORD")
    if path:
        entry = dict(argv=ARGV, cwd=os.getcwd(), stdin=STDIN, marker=os.environ.get("FAKE_MARKER"), **extra)
        with open(path, "a") as handle:
            handle.write(json.dumps(entry) + "\\n")
def need(*flags):
    for flag in flags:
        if flag not in ARGV:
            sys.stderr.write("unknown or missing option: " + flag + "\\n")
            sys.exit(42)
def after(flag, default=None):
    return ARGV[ARGV.index(flag) + 1] if flag in ARGV else default
"""

FAKES: dict[str, str] = {
    # A plain text CLI.
    "text": """
record()
print("TEXT ANSWER from the fake CLI")
print("second line")
""",
    # Gemini CLI: `--output-format json`, prompt on stdin, `--resume <id>`.
    "gemini": """
need("--output-format", "json")
record()
session = after("--resume", "gem-session-1")
print(json.dumps({
    "session_id": session,
    "response": "GEMINI ANSWER: the cache key ignores the tenant.",
    "stats": {
        "models": {"gemini-2.5-pro": {"api": {"totalRequests": 2, "totalErrors": 0, "totalLatencyMs": 900},
                                       "tokens": {"input": 1000, "prompt": 1200, "candidates": 80, "total": 1300,
                                                  "cached": 200, "thoughts": 20, "tool": 0}}},
        "tools": {"totalCalls": 1},
        "files": {"totalLinesAdded": 0, "totalLinesRemoved": 0},
    },
}, indent=2))
""",
    # Codex: `exec --json ... -` (prompt on stdin), `exec --json ... resume <id> -`.
    "codex": """
need("exec", "--json", "-")
record()
thread = after("resume", "codex-thread-1")
events = [
    {"type": "thread.started", "thread_id": thread},
    {"type": "turn.started"},
    {"type": "item.completed", "item": {"id": "item_0", "type": "reasoning", "text": "**Reading the code**"}},
    {"type": "item.completed", "item": {"id": "item_1", "type": "command_execution", "command": "bash -lc ls",
                                        "aggregated_output": "a.py\\n", "exit_code": 0, "status": "completed"}},
    {"type": "item.completed", "item": {"id": "item_2", "type": "agent_message", "text": "Checking a.py first."}},
    {"type": "item.completed", "item": {"id": "item_3", "type": "agent_message",
                                        "text": "CODEX ANSWER: a.py has an off-by-one in line 3."}},
    {"type": "turn.completed", "usage": {"input_tokens": 2400, "cached_input_tokens": 2000, "output_tokens": 120}},
]
for event in events:
    print(json.dumps(event), flush=True)
""",
    # Claude Code: `-p --output-format json`, prompt on stdin, `--resume <id>`.
    "claude": """
need("-p", "--output-format", "json")
record()
print(json.dumps({
    "type": "result", "subtype": "success", "is_error": False, "duration_ms": 2100, "num_turns": 2,
    "result": "CLAUDE ANSWER: plan in three steps.", "session_id": after("--resume", "claude-session-1"),
    "total_cost_usd": 0.0123,
    "usage": {"input_tokens": 10, "cache_creation_input_tokens": 500, "cache_read_input_tokens": 1500,
              "output_tokens": 200},
    "modelUsage": {"claude-sonnet-fake": {"inputTokens": 10, "outputTokens": 200, "costUSD": 0.0123}},
}))
""",
    # opencode: `run --format json`, message on stdin, `--session <id>`.
    "opencode": """
need("run", "--format", "json")
record()
sid = after("--session", "ses_fake1")
def emit(kind, part):
    print(json.dumps({"type": kind, "timestamp": 1, "sessionID": sid, "part": part}), flush=True)
emit("step_start", {"type": "step-start"})
emit("text", {"type": "text", "text": "Let me look."})
emit("tool_use", {"type": "tool", "tool": "read", "state": {"status": "completed"}})
emit("step_finish", {"type": "step-finish", "reason": "tool-calls", "cost": 0.001,
                     "tokens": {"input": 300, "output": 10, "reasoning": 0, "cache": {"read": 0, "write": 0}}})
emit("step_start", {"type": "step-start"})
emit("text", {"type": "text", "text": "OPENCODE ANSWER: all good."})
emit("step_finish", {"type": "step-finish", "reason": "stop", "cost": 0.002,
                     "tokens": {"input": 400, "output": 30, "reasoning": 5, "cache": {"read": 100, "write": 0}}})
""",
    # Hangs with a child; both ignore SIGTERM (so only SIGKILL to the whole group stops them).
    "hang": """
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
pidfile = [w[len("PIDFILE="):] for w in STDIN.split() if w.startswith("PIDFILE=")][0]
with open(pidfile, "w") as handle:
    json.dump({"cli": os.getpid(), "child": child.pid}, handle)
record()
sys.stderr.write("thinking very hard...\\n")
sys.stderr.flush()
time.sleep(600)
""",
    # Floods standard output (40 MiB) as fast as it can, then exits 0.
    "flood": """
record()
block = ("FLOOD " * 10922 + "\\n").encode()  # 64 KiB
out = sys.stdout.buffer
for _ in range(640):
    out.write(block)
out.flush()
""",
    # Fails: much noise on stderr, then the real reason, exit code 3.
    "fail": """
record()
for i in range(400):
    sys.stderr.write(f"debug noise line {i}\\n")
sys.stderr.write("FATAL: invalid API key for the fake provider\\n")
sys.exit(3)
""",
    # Succeeds but chats on stderr.
    "noisy": """
record()
sys.stderr.write("Warning: telemetry is off\\nLoaded cached credentials.\\n")
print("QUIET ANSWER despite the warnings")
""",
    # Takes a while (for heartbeats).
    "slow": """
record()
time.sleep(1.6)
print("SLOW ANSWER")
""",
    # Reads its prompt from the file named after --prompt-file.
    "promptfile": """
path = after("--prompt-file")
content = open(path).read()
record(prompt_file=path, prompt_file_content=content)
print("PROMPT FILE ANSWER: " + str(len(content)))
""",
}


def make_fake(directory: Path, name: str) -> Path:
    """Write the fake CLI ``name`` as an executable script in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"fake-{name}"
    path.write_text(PREAMBLE + FAKES[name])
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def real(path: Path) -> Path:
    """``path`` with symlinks resolved (what clink reports back)."""
    return path.resolve()


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def clis_config(bin_dir: Path, record: Path) -> dict[str, Any]:
    """``plugins.zen-tool-clink.clis``: the shipped CLIs pointed at their fakes, plus test-only CLIs."""
    env = {"FAKE_RECORD": str(record), "FAKE_MARKER": "from-clink-env"}
    clis: dict[str, Any] = {
        name: {"command": [str(make_fake(bin_dir, name))], "env": env}
        for name in ("gemini", "codex", "claude", "opencode")
    }
    for name in ("text", "hang", "flood", "fail", "noisy", "slow"):
        clis[name] = {"command": [str(make_fake(bin_dir, name))], "env": env}
    clis["promptfile"] = {
        "command": [str(make_fake(bin_dir, "promptfile"))],
        "args": ["--prompt-file", "{prompt_file}"],
        "env": env,
    }
    clis["ghost"] = {"command": ["zen-no-such-cli-9f2c"]}
    return clis


# -- MCP results -------------------------------------------------------------------------------
def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def data(result: Any) -> dict[str, Any]:
    assert result.structured_content is not None, result
    return result.structured_content["data"]  # type: ignore[no-any-return]


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text(result)
    return data(result)


def error(result: Any) -> dict[str, Any]:
    assert result.is_error, text(result)
    return data(result)["error"]  # type: ignore[no-any-return]


# -- processes ---------------------------------------------------------------------------------
def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped by its new parent is not)."""
    if Path("/proc/self/stat").exists():
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return state[state.rfind(")") + 2] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def record_with(path: Path, token: str) -> dict[str, Any]:
    """The one run whose prompt (stdin) contained ``token``."""
    found = [r for r in records(path) if token in r["stdin"] or token in r.get("prompt_file_content", "")]
    assert len(found) == 1, f"{len(found)} runs saw {token!r}"
    return found[0]


def wait_gone(pids: list[int], timeout: float = 15.0) -> list[int]:
    """Wait until none of ``pids`` is alive; return those still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def wait_for_file(path: Path, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            try:
                return json.loads(path.read_text())  # type: ignore[no-any-return]
            except ValueError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")
