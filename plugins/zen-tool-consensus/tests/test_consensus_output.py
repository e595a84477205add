"""consensus declares what it returns: its ``outputSchema`` (listed by ``tools/list``) and its annotations,
checked through the MCP SDK's real client in both protocol eras. The client validates every non-error
result's ``structuredContent`` against the listed schema (a mismatch raises ``RuntimeError`` in
``call_tool``); the test also shows that the same check rejects a result that drifted from it."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from consensus_helpers import answer, configure, data
from zen_tool_consensus.tool import ConsensusTool

from zen_core.testing.fake_llm import FakeLLM
from zen_core.testing.mcp import stdio_client
from zen_core.testing.waiting import wait_until

pytestmark = pytest.mark.zen_plugins("zen-tool-consensus")
ERAS = [pytest.param({"mode": "legacy"}, id="legacy"), pytest.param({}, id="2026-07-28")]
REQUIRED = ["continuation_id", "models", "agreement"]


def checked(result: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """A result's data, checked against the listed schema and against the full output model."""
    payload = data(result)  # the client has validated structuredContent against the schema already
    jsonschema.validate(result.structured_content, schema)
    model = ConsensusTool.output_model
    assert model is not None
    model.model_validate(payload)  # the full model (nested fields too, none undeclared) matches as well
    return payload


@pytest.mark.parametrize("era", ERAS)
async def test_the_output_schema_is_listed_and_real_results_match_it(
    zen_env: dict[str, str], zen_config: Any, fake_llm: FakeLLM, era: dict[str, Any]
) -> None:
    configure(
        zen_config,
        fake_llm,
        alpha=answer("Ship it.", "support"),
        beta=answer("Wait a release.", "oppose"),
        judge={"text": "Agreements: none. Recommendation: ship behind a flag."},
        broken={"status": 503, "error_message": "quota exhausted"},
        slow={**answer("Eventually yes.", "support"), "latency_s": 1.0},
    )
    async with stdio_client(zen_env, **era) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "consensus")
        schema = tool.output_schema
        assert schema is not None, "consensus lists no outputSchema"
        answer_schema, handle = schema["properties"]["data"]["anyOf"]  # the answer, or a background job
        assert answer_schema["required"] == REQUIRED and handle["required"] == ["job_id"]
        assert answer_schema["properties"] == {
            "continuation_id": {"type": ["string", "null"]},
            "models": {"type": "array"},
            "agreement": {"type": "object"},
        }

        # success: cross-feedback and a synthesis
        full = await client.call_tool(
            "consensus", {"prompt": "Ship v2?", "models": ["alpha", "beta"], "synthesize_with": "judge"}
        )
        assert full.structured_content["status"] == "success"
        body = checked(full, schema)
        assert body["synthesis"]["text"].startswith("Agreements: none.") and body["cross_feedback"]["rounds_run"] == 1
        # partial: a failed model in place, no synthesis
        partial = await client.call_tool("consensus", {"prompt": "Ship v3?", "models": ["alpha", "broken"]})
        assert partial.structured_content["status"] == "partial"
        assert checked(partial, schema)["models"][1]["phases"][0]["error"]["status_code"] == 503
        # a background job: its handle matches the schema now, its result later
        handle_result = await client.call_tool(
            "consensus", {"prompt": "Ship v4?", "models": ["alpha", "slow"], "rounds": 0, "background": True}
        )
        job_id = data(handle_result)["job_id"]
        jsonschema.validate(handle_result.structured_content, schema)
        job: dict[str, Any] = {}

        async def finished() -> bool:
            job.update(data(await client.call_tool("jobs", {"job_id": job_id})))
            return job["status"] not in ("running", "cancelling")

        await wait_until(finished, "the consensus job ends")
        assert job["status"] == "done"
        jsonschema.validate(job["result"]["structured"], schema)

        # A result that drifted from the schema fails the client's own check (the one call_tool ran).
        for drift in (
            lambda d: d.pop("agreement"),
            lambda d: d.update(models="alpha, broken"),
            lambda d: d.update(continuation_id=7),
        ):
            broken = copy.deepcopy(partial.structured_content)
            drift(broken["data"])
            with pytest.raises(RuntimeError, match="Invalid structured content returned by tool consensus"):
                await client.session.validate_tool_result(
                    "consensus", partial.model_copy(update={"structured_content": broken})
                )


async def test_annotations_are_all_set(zen_env: dict[str, str]) -> None:
    """Read-only (it writes only Zen's conversation store), never destructive, not idempotent (a model's
    answer varies from call to call), open world (the models are outside services)."""
    async with stdio_client(zen_env) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "consensus")
    hints = tool.annotations
    assert hints is not None and hints.title == "Multi-model consensus"
    assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == (
        True,
        False,
        False,
        True,
    )
