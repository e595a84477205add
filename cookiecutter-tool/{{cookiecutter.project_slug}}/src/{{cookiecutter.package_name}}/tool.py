"""The {{ cookiecutter.tool_name }} tool. This is the file to edit: the request, the prompt, the answer."""

from __future__ import annotations

from pydantic import Field
from zen_core import Tool, ToolAnnotations, ToolContext, ToolError, ToolRequest, ToolResponse

SYSTEM_PROMPT = (
    "You help an AI coding agent. Read the text the agent sends and answer in a few precise sentences."
)


class {{ cookiecutter.class_name }}Request(ToolRequest):
    """What the agent sends. Field descriptions become the tool's JSON schema, so keep them short."""

    text: str = Field(min_length=1, description="The text to work on.")
    model: str | None = Field(default=None, description="Model name (see listmodels).")


class {{ cookiecutter.class_name }}Tool(Tool[{{ cookiecutter.class_name }}Request]):
    name = "{{ cookiecutter.tool_name }}"
    description = "{{ (cookiecutter.description | tojson)[1:-1] }}"
    request_model = {{ cookiecutter.class_name }}Request
    annotations = ToolAnnotations(read_only=True, open_world=True)

    async def execute(self, request: {{ cookiecutter.class_name }}Request, ctx: ToolContext) -> ToolResponse:
        # The model asked for, else `default_model` of this plugin's settings, else Zen's default_model.
        model = await ctx.llm.model(request.model)
        words = len(request.text.split())
        await ctx.report_progress(0, 2, f"asking {model.name}")
        messages = [
            # Users can override the prompt: prompts.{{ cookiecutter.tool_name }}.system in prompts.yaml.
            {"role": "system", "content": ctx.prompt("system", SYSTEM_PROMPT)},
            {"role": "user", "content": request.text},
        ]
        completion = await ctx.llm.complete(model, messages)
        if not completion.text.strip():
            raise ToolError(f"{completion.model_used} returned an empty answer; try another model.")
        await ctx.report_progress(2, 2, "done")
        return ToolResponse(
            text=completion.text,
            data={"answer": completion.text, "words": words},
            metadata={
                "model_used": completion.model_used,
                "total_tokens": completion.usage.total_tokens,
                "cost_usd": completion.cost_usd,
            },
        )
