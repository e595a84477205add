"""Position parsing, agreement levels and participant labels (pure functions, no server needed)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zen_tool_consensus.agreement import agreement, answers_agree, parse_changed, parse_position
from zen_tool_consensus.prompts import feedback_message, response_labels
from zen_tool_consensus.request import participants, split_shorthand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ship it.\nPOSITION: support", "support"),
        ("**POSITION:** Oppose.", "oppose"),
        ("> Position - neutral (it depends)", "neutral"),
        ("Final position: in favor, with caveats", "support"),
        ("POSITION: support\nlater thoughts\nPOSITION: against", "oppose"),  # the last line wins
        ("POSITION CHANGED: yes", "unclear"),
        ("I think we should do it.", "unclear"),
        ("POSITION: maybe", "unclear"),
    ],
)
def test_parse_position(text: str, expected: str) -> None:
    assert parse_position(text) == expected


def test_parse_changed() -> None:
    assert parse_changed("x\nPOSITION: support\nPOSITION CHANGED: Yes.") is True
    assert parse_changed("**Position changed:** no") is False
    assert parse_changed("POSITION: support") is None


def test_agreement_levels_count_failed_models() -> None:
    assert agreement([("a", "support"), ("b", "support")]).level == "unanimous"
    with_failure = agreement([("a", "support"), ("b", "support"), ("c", None)])
    assert (with_failure.level, with_failure.failed) == ("majority", ["c"])
    assert "failed: c" in with_failure.summary
    # Half is not a majority: a failed model can turn agreement into a split.
    assert agreement([("a", "support"), ("b", None)]).level == "split"
    assert agreement([("a", "support"), ("b", "unclear")]).level == "split"
    tie = agreement([("a", "support"), ("b", "oppose"), ("c", "neutral"), ("d", "support"), ("e", "oppose")])
    assert (tie.level, tie.leading_position) == ("split", None)


@given(st.lists(st.sampled_from(["support", "oppose", "neutral", "unclear", None]), min_size=1, max_size=12))
def test_agreement_never_unanimous_with_a_failure_or_unclear(positions: list[str | None]) -> None:
    result = agreement([(str(i), p) for i, p in enumerate(positions)])  # type: ignore[misc]
    if result.level == "unanimous":
        assert None not in positions and "unclear" not in positions and len(set(positions)) == 1
    assert sum(result.counts.values()) == len(positions)


def test_answers_agree_needs_two_clear_equal_positions() -> None:
    assert answers_agree(["support", "support"])
    assert not answers_agree(["support"])
    assert not answers_agree(["unclear", "unclear"])
    assert not answers_agree(["support", "oppose"])


def test_shorthand_and_labels() -> None:
    assert split_shorthand("gpt-5:against") == ("gpt-5", "against")
    assert split_shorthand("llama3:8b") == ("llama3:8b", "neutral")
    assert split_shorthand("ollama/qwen:7b:FOR") == ("ollama/qwen:7b", "for")
    people = participants(["m", "m", "m:for", "m:FOR", "m:against"])
    assert [p.label for p in people] == ["m#1", "m#2", "m:for#1", "m:for#2", "m:against"]
    assert [p.stance for p in people] == ["neutral", "neutral", "for", "for", "against"]


def test_feedback_lists_others_anonymised_in_seeded_order() -> None:
    others = ["first answer", "second answer", "third answer"]

    def lookup(name: str, default: str) -> str:
        return default

    one = feedback_message(lookup, others, random.Random(7))
    assert one == feedback_message(lookup, others, random.Random(7))
    assert {f"--- Response {x} ---" for x in "ABC"} <= set(one.splitlines())
    orders = {tuple(sorted(others, key=feedback_message(lookup, others, random.Random(s)).index)) for s in range(20)}
    assert len(orders) > 1  # the order really is shuffled
    assert response_labels(28)[-2:] == ["AA", "AB"]
