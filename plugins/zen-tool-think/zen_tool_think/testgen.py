"""``testgen``: files (+ what to test) → test cases and test code in the project's own test framework."""

from __future__ import annotations

from pydantic import Field

from zen_core import ToolAnnotations, ToolContext
from zen_tool_think.answer import Item, Lenient, Text
from zen_tool_think.base import ThinkRequest, ThinkTool, join, result_model, section

SYSTEM = """\
You are a senior engineer writing tests for another AI coding agent, who will add them to the project.
You get source files with line numbers, possibly existing tests and project configuration.

- Detect the test framework and conventions from the files (imports, existing tests, conftest.py,
  pyproject.toml, package.json, go.mod, Cargo.toml...) and follow them: fixtures, naming, assertion
  style, file layout. If nothing shows a framework, use the language's standard one and say so.
- Test behaviour through the public interface, not implementation details. Cover the main paths, then
  the edge cases that matter here: empty and boundary values, errors and exceptions, concurrency,
  resource cleanup, unusual input.
- Every test must be able to fail: assert the specific result, not just that nothing raised. Use only
  names that exist in the files; do not invent helpers or fixtures you were not shown.
- Return complete, runnable test code for one file, with its imports."""

FORMAT = """\
Answer with one JSON object and nothing else:
{"framework": "the test framework used, e.g. pytest",
 "summary": "what the tests cover, in one or two sentences",
 "test_file": "suggested path of the test file",
 "cases": [{"name": "test_name", "checks": "what it verifies", "edge": "the edge case it covers, or empty"}],
 "code": "the complete test file"}"""


class TestGenRequest(ThinkRequest):
    prompt: str | None = Field(None, description="What to test (default: the files' public behaviour).")
    files: list[str] = Field(min_length=1, description="Absolute paths of code to test, and a test to imitate.")


class Case(Item):
    main = "name"
    name: Text = ""
    checks: Text = ""
    edge: Text = ""


class TestGenAnswer(Lenient):
    framework: Text = ""
    summary: Text = ""
    test_file: Text = ""
    cases: list[Case] = Field(default_factory=list)
    code: Text = ""


class TestGenTool(ThinkTool[TestGenRequest, TestGenAnswer]):
    name = "testgen"
    description = (
        "Generate tests for files: test cases with edge cases and runnable test code in the project's own framework."
    )
    request_model = TestGenRequest
    answer_model = TestGenAnswer
    output_model = result_model(TestGenAnswer)
    annotations = ToolAnnotations(
        title="Generate tests", read_only=True, destructive=False, idempotent=False, open_world=True
    )
    system_prompt = SYSTEM
    answer_format = FORMAT
    temperature = 0.2

    def task(self, request: TestGenRequest, ctx: ToolContext) -> str:
        return request.prompt or "Write tests for the public behaviour of these files."

    def render(self, answer: TestGenAnswer) -> str:
        cases = [f"- {c.name}: {c.checks}" + (f" (edge: {c.edge})" if c.edge else "") for c in answer.cases]
        head = f"Framework: {answer.framework}" if answer.framework else ""
        code = f"```\n{answer.code.rstrip()}\n```" if answer.code.strip() else ""
        where = f"Test file: {answer.test_file}" if answer.test_file else ""
        return join(head, answer.summary, section("Cases:", cases), where, code)
