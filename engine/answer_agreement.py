"""Which of several answers to one question say the same thing.

Sampled answers rarely agree word for word ("Chopin visited London." / "In June 1837 he went to
London [2]."), so answers are compared by what they add to the question: their content words that
the question does not already hold (citation marks, punctuation, case and common words left out,
numbers kept). Two answers agree when most of the shorter one's additions are in the other. Saying
that the documents do not hold the answer is an answer too, and such replies agree with each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.answer_support import is_refusal

CITATION_MARK = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")
WORD = re.compile(r"[^\W_]+", re.UNICODE)
AGREES_AT = 0.5  # shared share of the shorter answer's additions
REFUSAL = frozenset({"<not in the documents>"})
COMMON = """
a an the and or but of in on at to for from by with as is are was were be been being it its this
that these those there their they them he she his her him i you we our your me my not no yes so
than then which who whom whose what when where why how do does did done has have had will would
can could should may might must shall also very just about into over after before during answer
passage passages document documents according text said says called named
"""
COMMON_WORDS = frozenset(COMMON.split())


def answer_core(answer: str, question: str) -> frozenset[str]:
    """The content words an answer adds to its question (REFUSAL for a "not found" reply)."""
    if is_refusal(answer):
        return REFUSAL
    asked = {w.lower() for w in WORD.findall(question)}
    words = (w.lower() for w in WORD.findall(CITATION_MARK.sub(" ", answer)))
    return frozenset(w for w in words if w not in COMMON_WORDS and w not in asked)


def agreement(first: frozenset[str], second: frozenset[str]) -> float:
    """How much two answers' additions overlap, as a share of the smaller (1.0: both add nothing)."""
    if not first and not second:
        return 1.0
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


@dataclass(frozen=True)
class AnswerGroups:
    """Answers grouped by agreement, largest group first (ties: the one holding the earliest
    answer); `chosen` is the earliest answer of the largest group."""

    groups: tuple[tuple[int, ...], ...]

    @property
    def chosen(self) -> int:
        return self.groups[0][0]

    @property
    def agreeing(self) -> int:
        return len(self.groups[0])

    def group_of(self, index: int) -> int:
        return next(g for g, members in enumerate(self.groups) if index in members)


def group_answers(answers: Sequence[str], question: str) -> AnswerGroups:
    """Each answer joins the group whose members it agrees with most on average (at least
    AGREES_AT with each), or starts its own."""
    if not answers:
        raise ValueError("no answers to group")
    cores = [answer_core(a, question) for a in answers]
    groups: list[list[int]] = []
    for index, core in enumerate(cores):
        best, best_score = None, 0.0
        for group in groups:
            scores = [agreement(core, cores[member]) for member in group]
            if min(scores) >= AGREES_AT and sum(scores) / len(scores) > best_score:
                best, best_score = group, sum(scores) / len(scores)
        if best is None:
            groups.append([index])
        else:
            best.append(index)
    ordered = sorted(groups, key=lambda g: (-len(g), g[0]))
    return AnswerGroups(tuple(tuple(g) for g in ordered))
