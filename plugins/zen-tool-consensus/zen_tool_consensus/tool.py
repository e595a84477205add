"""The ``consensus`` tool as the host lists it: name, description, request schema.

The work happens in :mod:`zen_tool_consensus.call`, imported on the first call so that listing tools
stays cheap. Each call's state lives in an object made for that call; the tool instance holds none.
"""

from __future__ import annotations

from zen_core import Tool, ToolAnnotations, ToolContext, ToolResponse
from zen_tool_consensus.output import ConsensusResult
from zen_tool_consensus.request import ConsensusRequest

DESCRIPTION = (
    "Ask several models the same question in parallel (stances: name:for|against); each refines after reading the "
    "others' answers anonymised until they agree. Returns every answer, the agreement (unanimous/majority/split), "
    "an optional synthesis."
)


class ConsensusTool(Tool[ConsensusRequest]):
    name = "consensus"
    description = DESCRIPTION
    request_model = ConsensusRequest
    # Reads files and asks models: nothing is changed (read_only, not destructive); models' answers vary
    # from call to call (not idempotent); the models are outside services (open world).
    annotations = ToolAnnotations(
        title="Multi-model consensus", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    output_model = ConsensusResult
    max_result_chars = 100_000
    background = True
    confirms_cost = True
    prompt_template = (
        "Use the `{tool}` tool of the zen MCP server: ask several models (with stances where useful) "
        "and act on their agreement: {request}"
    )

    async def execute(self, request: ConsensusRequest, ctx: ToolContext) -> ToolResponse:
        from zen_tool_consensus.call import Consensus

        return await Consensus(request, ctx).run()
