"""Reading a model's JSON answer: the ways real answers deviate, and what cannot be read (pure functions)."""

from __future__ import annotations

import json

import pytest
from zen_tool_think.answer import find_object, parse_answer
from zen_tool_think.debug import DebugAnswer
from zen_tool_think.thinkdeep import ThinkDeepAnswer
from zen_tool_think.tracer import TracerAnswer

KEYS = {"summary", "hypotheses", "missing"}
OBJ = {"summary": "s", "hypotheses": [{"cause": "c"}]}
DUMP = json.dumps(OBJ)


@pytest.mark.parametrize(
    "answer",
    [
        DUMP,
        f"```json\n{DUMP}\n```",
        f"```\n{DUMP}\n```",
        f"Sure! Here is the analysis:\n\n```json\n{DUMP}\n```\n\nLet me know.",
        f"Here it is: {DUMP} — done.",
        f"<think>the user wants {{json}} maybe {{'x': 1}}</think>\n{DUMP}",
        '{"summary": "s", "hypotheses": [{"cause": "c",},],}',  # trailing commas
        f'{{"debug": {DUMP}}}',  # wrapped under one key
        f'Options were {{"a": 1}} and then the answer {DUMP}',  # an unrelated object first
        json.dumps(OBJ, indent=2),
    ],
    ids=[
        "bare",
        "fenced",
        "fence-no-lang",
        "prose-around-fence",
        "prose-around",
        "think-block",
        "trailing-commas",
        "wrapped",
        "two-objects",
        "indented",
    ],
)
def test_json_is_found_however_it_is_wrapped(answer: str) -> None:
    found = find_object(answer, KEYS)
    assert found is not None
    assert found["summary"] == "s" and found["hypotheses"][0]["cause"] == "c"


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "No JSON here at all.",
        '{"unrelated": true}',
        '{"summary": "cut off',
        "[1, 2, 3]",
        '{"hypotheses": [{"cause": "x"}], "summary": "unterminated}',
    ],
)
def test_no_answer_object(answer: str) -> None:
    """Nothing, or no object with the answer's keys: an inner object of a broken answer is not taken for it."""
    """Nothing, or no object with the answer's keys: an inner object of a broken answer is not taken for it."""
    assert find_object(answer, KEYS) is None


def test_lenient_values() -> None:
    parsed = parse_answer(
        json.dumps(
            {
                "summary": ["line one", "line two"],
                "hypotheses": {
                    "cause": "only one",
                    "confidence": " MEDIUM ",
                    "evidence": "app.py:12: reads it",
                    "fix": None,
                },
                "missing": "logs",
                "extra": "ignored",
            }
        ),
        DebugAnswer,
    )
    assert parsed.note is None
    answer = parsed.answer
    assert isinstance(answer, DebugAnswer)
    assert answer.summary == "line one\nline two"
    [hypothesis] = answer.hypotheses
    assert (hypothesis.cause, hypothesis.confidence, hypothesis.fix) == ("only one", "medium", "")
    assert [(e.location, e.detail) for e in hypothesis.evidence] == [("app.py:12", "reads it")]
    assert answer.missing == ["logs"]


def test_ranking_is_stable_and_unknown_levels_go_last() -> None:
    hypotheses = [
        {"cause": "a", "confidence": "likely?"},
        {"cause": "b", "confidence": "low"},
        {"cause": "c", "confidence": "high"},
        {"cause": "d", "confidence": "low"},
        {"cause": "e", "confidence": "high"},
    ]
    answer = parse_answer(json.dumps({"hypotheses": hypotheses}), DebugAnswer).answer
    assert isinstance(answer, DebugAnswer)
    assert [h.cause for h in answer.hypotheses] == ["c", "e", "b", "d", "a"]


def test_objects_given_as_strings_and_numbers_as_text() -> None:
    answer = parse_answer(
        '{"risks": ["leaks memory"], "alternatives": [{"option": 2, "tradeoffs": 3.5}], "recommendation": 42}',
        ThinkDeepAnswer,
    ).answer
    assert isinstance(answer, ThinkDeepAnswer)
    assert answer.risks[0].risk == "leaks memory"
    assert (answer.alternatives[0].option, answer.alternatives[0].tradeoffs) == ("2", "3.5")
    assert answer.recommendation == "42"


def test_depth_that_is_not_a_number_is_zero() -> None:
    answer = parse_answer('{"steps": [{"depth": "two", "action": "x"}, {"depth": "3"}]}', TracerAnswer).answer
    assert isinstance(answer, TracerAnswer)
    assert [s.depth for s in answer.steps] == [0, 3]


@pytest.mark.parametrize(
    ("answer", "truncated", "note"),
    [
        ("I could not decide.", False, "The model did not answer in the JSON format asked for;"),
        ("   ", False, "The model returned an empty answer;"),
        ('{"summary": "half', True, "The answer was cut off at the model's output limit"),
        ('{"hypotheses": [[1, 2]]}', False, "The model's JSON did not have the expected shape (hypotheses.0:"),
    ],
)
def test_unreadable_answers_explain_why(answer: str, truncated: bool, note: str) -> None:
    parsed = parse_answer(answer, DebugAnswer, truncated=truncated)
    assert parsed.answer is None
    assert parsed.note is not None and parsed.note.startswith(note)
    assert parsed.note.endswith("its answer is in `raw`, unstructured.")
