"""The messages each phase sends. The texts are the defaults below, which users override with
``prompts.consensus.<name>`` in prompts.yaml (``system``, ``stances.for|against|neutral``, ``feedback``,
``synthesis``); the answer format is fixed here because the tool parses it."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from zen_tool_consensus.request import Participant

PromptLookup = Callable[[str, str], str]
Message = dict[str, Any]

DEFAULT_SYSTEM = """\
You are one of several independent experts asked the same question by an AI coding agent.
Give your own assessment: a clear position, the reasons for it, the main risks, and how
confident you are. Be concrete and brief."""
DEFAULT_STANCES = {
    "for": (
        "Argue the strongest honest case FOR the proposal. Still name fatal flaws if you find any: "
        "never recommend something harmful or clearly broken just to keep your stance."
    ),
    "against": (
        "Argue the strongest honest case AGAINST the proposal: risks, costs, simpler alternatives. "
        "Still acknowledge it if the proposal is clearly right."
    ),
    "neutral": "Weigh the proposal evenly and say which way the evidence points.",
}
DEFAULT_FEEDBACK = "Below are the answers of the other experts, anonymised and in random order. Reconsider yours."
DEFAULT_SYNTHESIS = "Merge the experts' final answers into: Agreements, Disagreements, Recommendation, Risks."

POSITION_FORMAT = (
    "End your answer with one line of the form\n"
    "POSITION: support | oppose | neutral\n"
    "(support = you recommend doing it / answer yes; oppose = you recommend against / answer no)."
)
CHANGED_FORMAT = "End with two lines:\nPOSITION: support | oppose | neutral\nPOSITION CHANGED: yes | no"


def system_prompt(prompt: PromptLookup, participant: Participant) -> str:
    """The consensus system prompt with the participant's stance block and the answer format."""
    stance = prompt(f"stances.{participant.stance}", DEFAULT_STANCES[participant.stance])
    base = prompt("system", DEFAULT_SYSTEM).strip()
    return f"{base}\n\nYour stance: {participant.stance}.\n{stance.strip()}\n\n{POSITION_FORMAT}"


def initial_messages(system: str, user: str | list[Message]) -> list[Message]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def response_labels(count: int) -> list[str]:
    """``A``, ``B``, … ``Z``, ``AA``, ``AB`` … for anonymised responses."""
    labels = []
    for n in range(count):
        label = ""
        n += 1
        while n:
            n, rem = divmod(n - 1, 26)
            label = chr(65 + rem) + label
        labels.append(label)
    return labels


def feedback_message(prompt: PromptLookup, others: Sequence[str], rng: random.Random) -> str:
    """The refine request: the other answers in shuffled order as ``Response A/B/…``, without names."""
    shuffled = list(others)
    rng.shuffle(shuffled)
    blocks = [
        f"--- Response {label} ---\n{text.strip()}"
        for label, text in zip(response_labels(len(shuffled)), shuffled, strict=True)
    ]
    intro = prompt("feedback", DEFAULT_FEEDBACK).strip()
    return f"{intro}\n\n" + "\n\n".join(blocks) + f"\n\n{CHANGED_FORMAT}"


def feedback_messages(first: list[Message], own_answer: str, feedback: str) -> list[Message]:
    """The conversation so far (question, own answer) plus the refine request."""
    return [*first, {"role": "assistant", "content": own_answer}, {"role": "user", "content": feedback}]


def synthesis_messages(
    prompt: PromptLookup, question: str, answers: Sequence[tuple[Participant, str]], agreement_summary: str
) -> list[Message]:
    """Ask one model to merge the final answers (it sees stances, not which model gave which)."""
    blocks = [
        f"--- Expert {n} (stance: {p.stance}) ---\n{text.strip()}" for n, (p, text) in enumerate(answers, start=1)
    ]
    user = (
        f"=== Question ===\n{question}\n\n=== Final answers ===\n"
        + "\n\n".join(blocks)
        + f"\n\n=== Measured agreement ===\n{agreement_summary}"
    )
    return [
        {"role": "system", "content": prompt("synthesis", DEFAULT_SYNTHESIS).strip()},
        {"role": "user", "content": user},
    ]
