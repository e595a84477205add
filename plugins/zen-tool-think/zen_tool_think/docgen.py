"""``docgen``: files → suggested documentation for undocumented or unclear modules, classes and functions.

Read-only: the suggestions come back per location; the agent decides what to apply. Nothing is written.
"""

from __future__ import annotations

from pydantic import Field

from zen_core import ToolAnnotations, ToolContext
from zen_tool_think.answer import Item, Lenient, Text
from zen_tool_think.base import ThinkRequest, ThinkTool, indent, join, result_model, section

SYSTEM = """\
You are a senior engineer documenting code for another AI coding agent, who will insert your text.
You get source files with line numbers.

- Find the modules, classes, functions and methods that have no documentation, or whose documentation
  is wrong, outdated or unclear. Leave well-documented and trivial code alone.
- For each, write the documentation to insert: what it does and why, parameters, return value, errors
  raised, side effects, and anything surprising (complexity, thread safety, invariants). Be exact:
  describe what the code really does, checked against its body and its callers in the files.
- Follow the documentation style the files already use (Google, NumPy, reST, JSDoc, rustdoc, godoc...);
  if there is none, use the language's common convention. Give the text without comment markers or
  quotes, ready to place at the location.
- Locations are file:line of the definition, from the files given; never invent one."""

FORMAT = """\
Answer with one JSON object and nothing else:
{"style": "the documentation convention followed",
 "summary": "what was missing or unclear, in one or two sentences",
 "docs": [{"location": "path/file.py:42", "symbol": "name of the module, class or function",
           "kind": "module | class | function | method", "reason": "missing | unclear | wrong",
           "doc": "the documentation text to insert"}]}"""


class DocGenRequest(ThinkRequest):
    files: list[str] = Field(min_length=1, description="Absolute paths of files or directories to document.")


class Doc(Item):
    main = "doc"
    location: Text = ""
    symbol: Text = ""
    kind: Text = ""
    reason: Text = ""
    doc: Text = ""


class DocGenAnswer(Lenient):
    style: Text = ""
    summary: Text = ""
    docs: list[Doc] = Field(default_factory=list)


class DocGenTool(ThinkTool[DocGenRequest, DocGenAnswer]):
    name = "docgen"
    description = "Suggest documentation for undocumented or unclear code in files, per location; writes nothing."
    request_model = DocGenRequest
    answer_model = DocGenAnswer
    output_model = result_model(DocGenAnswer)
    annotations = ToolAnnotations(
        title="Suggest documentation", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    system_prompt = SYSTEM
    answer_format = FORMAT
    temperature = 0.2

    def task(self, request: DocGenRequest, ctx: ToolContext) -> str:
        return request.prompt or "Document what is undocumented or unclear in these files."

    def render(self, answer: DocGenAnswer) -> str:
        blocks = []
        for d in answer.docs:
            head = f"{d.location} {d.kind} {d.symbol}".strip() + (f" ({d.reason})" if d.reason else "")
            blocks.append(f"{head}:\n{indent(d.doc, '    ')}")
        style = f"Style: {answer.style}" if answer.style else ""
        return join(style, answer.summary, section("Suggested documentation:", blocks))
