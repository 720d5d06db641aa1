"""How squarely an answer stands on the document: the question's words around the answer's words.

A small model that misreads a passage still writes something the document says, so the support
check (engine/answer_support) passes it: "The founder of the New York Post is El Diario La Prensa"
uses the document's words, but not where the document talks about founding the Post. Early
question-answering systems scored a candidate answer by how many of the question's words stand in
the same place of the text as the candidate's (MCTest's sliding window, Richardson et al., 2013).
Here: the sentences that hold most of what the answer adds to the question, scored by the
question's words in them (weighted by how rare each word is in the document) and, at half weight,
in the sentence before. The readings of one question (engine/rereading) are told apart by it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

from engine.answer_support import (
    CITATION,
    META,
    NUMBER_WORDS,
    STOPWORDS,
    WORD,
    fold,
    numbers,
    sentences_of,
)

# "The answer is: 7,000" says "7,000"; what precedes the colon is the model's habit, not its answer.
ANSWER_LEAD = re.compile(r"^\s*(?:the\s+)?answer\s+is\s*:?\s*", re.IGNORECASE)
# Number words can be the answer ("two"), so they are kept here, unlike in the support check.
IGNORED = (STOPWORDS | META) - set(NUMBER_WORDS)
MIN_COVER = 0.5  # of the answer's own words a sentence must hold to count as where it stands
BEFORE_WEIGHT = 0.5  # the question's words in the sentence before count half
# Snowball's English stemmer (Porter's successor): "unionize" and "unionized" are one word to it,
# where the support check's few suffixes left "unioniz" as what an answer added to the question.
STEMMER = snowballstemmer.stemmer("english")
# Each word stemmed once: stemming every occurrence took most of the 1.4 s a 480,000-character
# book's sentences took to read on two cores (0.5 s with this).
stem_of = lru_cache(maxsize=2**16)(STEMMER.stemWord)


def words(text: str) -> set[str]:
    """A text's numbers (without thousands separators) and the stems of its content words."""
    text = CITATION.sub(" ", text)
    kept = [fold(w).strip("'’-") for w in WORD.findall(text)]
    return numbers(text) | {stem_of(w) for w in kept if w and w not in IGNORED}


def first_sentence(answer: str) -> str:
    """The answer's first sentence without its "The answer is:" lead."""
    parts = sentences_of(ANSWER_LEAD.sub("", answer.strip()))
    return parts[0] if parts else ""


def answer_words(answer: str, question: str) -> set[str]:
    """What the answer's first sentence adds to the question: "Alexander Hamilton" of "The founder
    of the New York Post is Alexander Hamilton."; empty when it only restates the question."""
    return words(first_sentence(answer)) - words(question)


class DocumentSentences:
    """The documents' sentences as word sets, and how rare each word is among them. Built once per
    conversation (a 480,000-character book's 3,200 sentences: half a second on two cores)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.sentences = [words(s) for text in texts for s in sentences_of(text)]
        counts = Counter(w for sentence in self.sentences for w in sentence)
        total = max(1, len(self.sentences))
        self.rarity = {w: math.log(total / n) for w, n in counts.items()}

    def alignment(self, answer: str, question: str) -> float:
        """0 when the answer adds nothing or what it adds is nowhere together in one sentence; more,
        the more of the question's rare words stand beside it."""
        added = answer_words(answer, question)
        if not added:
            return 0.0
        asked = words(question)
        best = 0.0
        for index, sentence in enumerate(self.sentences):
            cover = len(added & sentence) / len(added)
            if cover < MIN_COVER:
                continue
            before = self.sentences[index - 1] if index else set()
            here = asked & sentence
            score = sum(self.rarity.get(w, 0.0) for w in here)
            score += BEFORE_WEIGHT * sum(self.rarity.get(w, 0.0) for w in (asked & before) - here)
            best = max(best, score * cover)
        return best
