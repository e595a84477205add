"""The planner tool through a real MCP client against ``zen serve`` (stdio) and the loopback fake LLM."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from planner_helpers import configure, data, error, messages, plan_answer, text

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import stdio_client, tool_progress

pytestmark = pytest.mark.zen_plugins("planner")

V1 = plan_answer(
    ("1", "Design the users table", []),
    ("2", "Write the login endpoint", ["1"]),
    ("3", "Add session handling and tests", ["2"]),
    goal="Users can log in",
    notes="Password hashing library to be chosen.",
    fenced=True,
)
V2 = plan_answer(
    ("1", "Design the users table", []),
    ("2", "Write the login endpoint", ["1"]),
    ("3a", "Add session handling", ["2"]),
    ("3b", "Test login and sessions", ["3a"]),
    goal="Users can log in",
)


async def test_create_mark_done_revise_and_read_back(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE accounts (id INTEGER PRIMARY KEY); -- SCHEMA_MARKER\n")
    names = configure(zen_config, fake_llm, roots=[tmp_path], architect={"text": V1})
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with stdio_client(zen_env) as client:
        created = await client.call_tool(
            "planner",
            {
                "task": "Add password login to the web app",
                "constraints": "No new runtime dependencies",
                "files": [str(tmp_path / "schema.sql")],
                "model": "architect",
            },
            progress_callback=on_progress,
        )
        first = data(created)
        cid = first["continuation_id"]
        assert uuid.UUID(cid)
        assert (first["version"], first["change"]) == (1, "created")
        assert [(s["id"], s["title"], s["depends_on"], s["done"]) for s in first["plan"]["steps"]] == [
            ("1", "Design the users table", [], False),
            ("2", "Write the login endpoint", ["1"], False),
            ("3", "Add session handling and tests", ["2"], False),
        ]
        assert first["plan"]["goal"] == "Users can log in"
        assert first["next"] == ["1"] and first["progress"] == {"done": 0, "total": 3}
        assert first["model_used"] == "architect" and first["usage"]["total_tokens"] > 0
        assert first["files"]["included"] == [str(tmp_path / "schema.sql")]
        assert text(created).startswith("Plan v1 — created (0/3 steps done)\nGoal: Users can log in\n")
        assert "[ ] 2. Write the login endpoint (after 1)" in text(created)
        assert f"continuation_id: {cid}" in text(created)
        # what the model was asked: the planner prompt, the task, the constraints and the file
        system, user = messages(fake_llm.last_request(names["architect"]))
        assert "Reply with ONLY one JSON object" in system
        assert "Plan this task:\nAdd password login to the web app" in user
        assert "No new runtime dependencies" in user and "SCHEMA_MARKER" in user
        assert [m for _, _, m in tool_progress(seen, "planner")] == [
            "reading the conversation",
            "asking architect",
            "saving the plan",
            "done",
        ]

        # marking steps done is no model call (ids may come as numbers)
        calls = fake_llm.calls(names["architect"])
        marked = data(await client.call_tool("planner", {"continuation_id": cid, "done": [1]}))
        assert fake_llm.calls(names["architect"]) == calls
        assert (marked["version"], marked["change"], marked["model_used"]) == (2, "done", None)
        assert marked["usage"]["total_tokens"] == 0 and marked["cost_usd"] == 0
        assert [s["done"] for s in marked["plan"]["steps"]] == [True, False, False]
        assert marked["next"] == ["2"] and marked["progress"] == {"done": 1, "total": 3}
        unknown = await client.call_tool("planner", {"continuation_id": cid, "done": ["2", "9"]})
        assert error(unknown)["code"] == "invalid_arguments"
        assert '"done": no step 9 in plan v2; its steps are 1, 2, 3.' in text(unknown)
        assert fake_llm.calls(names["architect"]) == calls

        # a model revises the plan: it is given the current plan (with what is done) and the instruction
        fake_llm.behave(names["architect"], text=V2)
        revised_result = await client.call_tool("planner", {"continuation_id": cid, "revise": "split step 3"})
        revised = data(revised_result)
        assert fake_llm.calls(names["architect"]) == calls + 1  # the thread's model, asked once
        _, user = messages(fake_llm.last_request(names["architect"]))
        assert "The current plan (version 2):" in user and user.rstrip().endswith("Revise it: split step 3")
        current = json.loads(user.split("The current plan (version 2):\n", 1)[1].split("\n\nRevise it:")[0])
        assert [(s["id"], s["done"]) for s in current["steps"]] == [("1", True), ("2", False), ("3", False)]
        assert (revised["version"], revised["change"]) == (3, "revised")
        steps = {s["id"]: s for s in revised["plan"]["steps"]}
        assert list(steps) == ["1", "2", "3a", "3b"]
        assert steps["1"]["done"] is True and steps["3b"]["depends_on"] == ["3a"]  # done kept by id
        assert revised["next"] == ["2"]
        assert text(revised_result).startswith("Plan v3 — revised: split step 3 (1/4 steps done)")

        # with only the continuation_id: the plan and every earlier version, nothing changed
        shown = data(await client.call_tool("planner", {"continuation_id": cid}))
        assert fake_llm.calls(names["architect"]) == calls + 1
        assert (shown["version"], shown["change"]) == (3, "none")
        assert [(h["version"], h["change"], h["instruction"], h["model"]) for h in shown["history"]] == [
            (1, "created", "Add password login to the web app", "architect"),
            (2, "done", "mark done: 1", None),
            (3, "revised", "split step 3", "architect"),
        ]
        assert [len(v["plan"]["steps"]) for v in shown["versions"]] == [3, 3, 4]
        assert [s["done"] for s in shown["versions"][0]["plan"]["steps"]] == [False, False, False]
        assert shown["versions"][1]["plan"]["steps"][0]["done"] is True


@pytest.mark.zen_plugins("planner", "zen-tool-chat")
async def test_chat_sees_the_plan_and_a_decision_made_in_chat_revises_it(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM
) -> None:
    names = configure(
        zen_config,
        fake_llm,
        architect={"text": plan_answer(("1", "Pick a database", []), ("2", "Write the migrations", ["1"]))},
        buddy={"text": "We chose Postgres: it has the JSON operators you need."},
    )
    async with stdio_client(zen_env) as client:
        cid = data(await client.call_tool("planner", {"task": "Store user profiles", "model": "architect"}))[
            "continuation_id"
        ]
        await client.call_tool("planner", {"continuation_id": cid, "done": ["1"]})
        chat = data(
            await client.call_tool(
                "chat", {"prompt": "Which database for step 1?", "model": "buddy", "continuation_id": cid}
            )
        )
        assert chat["continuation_id"] == cid
        _, seen_by_chat = messages(fake_llm.last_request(names["buddy"]))
        assert "Plan v1 — created (0/2 steps done)" in seen_by_chat
        assert "Plan v2 — mark done: 1 (1/2 steps done)" in seen_by_chat
        assert "[x] 1. Pick a database" in seen_by_chat and "[ ] 2. Write the migrations (after 1)" in seen_by_chat

        fake_llm.behave(
            names["architect"],
            text=plan_answer(("1", "Pick a database", []), ("2", "Write the Postgres migrations", ["1"])),
        )
        revised = data(
            await client.call_tool(
                "planner", {"continuation_id": cid, "revise": "adapt to the decision", "model": "architect"}
            )
        )
        _, seen_by_planner = messages(fake_llm.last_request(names["architect"]))
        assert "We chose Postgres" in seen_by_planner  # chat's turn is in the conversation the model reads
        assert revised["version"] == 3 and revised["plan"]["steps"][1]["title"] == "Write the Postgres migrations"
        assert [s["done"] for s in revised["plan"]["steps"]] == [True, False]


async def test_arguments_are_checked_before_any_model_call(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM
) -> None:
    names = configure(zen_config, fake_llm, architect={"text": plan_answer(("1", "Do it", []))})
    async with stdio_client(zen_env) as client:
        cid = data(await client.call_tool("planner", {"task": "A task", "model": "architect"}))["continuation_id"]
        calls = fake_llm.calls(names["architect"])
        cases = [
            ({}, '"task" is required to start a plan'),
            ({"revise": "split step 1"}, '"revise" needs the "continuation_id" of the plan.'),
            ({"continuation_id": cid, "task": "x", "done": ["1"]}, "one change per call: task, revise or done"),
            ({"continuation_id": cid, "done": ["1"], "model": "architect"}, "model: not used when marking"),
            ({"task": "x", "stepz": 3}, "stepz"),
            ({"task": "x", "done": "1"}, "done"),
        ]
        for arguments, expected in cases:
            result = await client.call_tool("planner", {**arguments})
            assert expected in error(result)["message"], (arguments, text(result))
        missing = await client.call_tool("planner", {"continuation_id": str(uuid.uuid4()), "done": ["1"]})
        assert "was not found" in text(missing)
    assert fake_llm.calls(names["architect"]) == calls


@pytest.mark.zen_plugins("planner", "zen-tool-chat")
async def test_a_plan_made_in_a_chat_conversation(zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM) -> None:
    names = configure(
        zen_config,
        fake_llm,
        buddy={"text": "Use feature flags and migrate one table at a time."},
        architect={"text": plan_answer(("1", "Add a feature flag", []), ("2", "Migrate the orders table", ["1"]))},
    )
    async with stdio_client(zen_env) as client:
        cid = data(await client.call_tool("chat", {"prompt": "How do we migrate safely?", "model": "buddy"}))[
            "continuation_id"
        ]
        result = await client.call_tool("planner", {"continuation_id": cid, "revise": "shorter"})
        assert error(result)["code"] == "no_plan"
        assert f"Conversation {cid} has no plan yet. Call planner with task" in text(result)
        planned = data(
            await client.call_tool(
                "planner", {"continuation_id": cid, "task": "Plan the migration we discussed", "model": "architect"}
            )
        )
    assert (planned["continuation_id"], planned["version"], planned["change"]) == (cid, 1, "created")
    _, user = messages(fake_llm.last_request(names["architect"]))
    assert "migrate one table at a time" in user  # the chat so far is part of what the planner model reads
    assert user.rstrip().endswith("Plan this task:\nPlan the migration we discussed")


async def test_refused_files_stop_the_call(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / ".env").write_text("DB_PASSWORD=hunter2\n")
    (outside / "notes.md").write_text("private\n")
    names = configure(zen_config, fake_llm, roots=[root], architect={"text": plan_answer(("1", "Do it", []))})
    async with stdio_client(zen_env) as client:
        for path, reason in ((root / ".env", "secret file"), (outside / "notes.md", "outside the allowed roots")):
            result = await client.call_tool("planner", {"task": "t", "model": "architect", "files": [str(path)]})
            assert error(result)["code"] == "path_refused"
            assert f"{path}: " in text(result) and reason in text(result)
    assert fake_llm.calls(names["architect"]) == 0


async def test_provider_errors_and_unreadable_plans_are_explained(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM
) -> None:
    configure(
        zen_config,
        fake_llm,
        broken={"status": 500, "error_message": "planner backend exploded"},
        chatty={"text": "Sure! First design the table, then write the endpoint."},
        twice={"text": plan_answer(("1", "A", []), ("1", "B", []))},
    )
    async with stdio_client(zen_env) as client:
        failed = await client.call_tool("planner", {"task": "t", "model": "broken"})
        failure = error(failed)
        assert failure["code"] == "llm_error" and failure["status_code"] == 500
        assert "Model 'broken'" in text(failed) and "planner backend exploded" in text(failed)

        prose = await client.call_tool("planner", {"task": "t", "model": "chatty"})
        assert error(prose)["code"] == "bad_model_output"
        assert "Model 'chatty' did not return a JSON object with a list of steps." in text(prose)
        assert "Sure! First design the table" in text(prose) and "retry, or pass another model" in text(prose)

        duplicate = await client.call_tool("planner", {"task": "t", "model": "twice"})
        assert "did not return a plan: two steps have the id '1'" in text(duplicate)
        threads = data(await client.call_tool("threads", {}))["threads"]
    assert threads == []  # nothing was stored for the failed calls


@pytest.mark.parametrize("era", [{"mode": "legacy"}, {}], ids=["legacy", "2026-07-28"])
async def test_listing_annotations_and_output_schema(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    configure(
        zen_config,
        fake_llm,
        settings={"default_model": "architect"},
        architect={"text": plan_answer(("1", "Only step", []), notes="Small.")},
    )
    async with stdio_client(zen_env, **era) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        planner = tools["planner"]
        assert set(planner.input_schema["properties"]) == {
            "task",
            "constraints",
            "files",
            "continuation_id",
            "revise",
            "done",
            "model",
        }
        assert planner.input_schema["additionalProperties"] is False
        hints = planner.annotations
        assert hints is not None and hints.title == "Plan a task"
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
            True,
            False,
            False,
            True,
        )
        assert planner.output_schema["properties"]["data"]["required"] == [
            "continuation_id",
            "version",
            "change",
            "plan",
            "next",
            "progress",
            "history",
        ]
        assert planner.meta == {"anthropic/maxResultSizeChars": 100_000}
        result = await client.call_tool("planner", {"task": "One small thing"})  # the plugin's default model
    body = data(result)
    assert body["model_used"] == "architect" and body["plan"]["notes"] == "Small."
    assert "Notes: Small." in text(result)
