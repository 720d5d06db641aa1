"""The few sentences that bear on a question, found among the retrieved chunks.

A small model answers from what sits right before the question, and it copies best from a short
run of text: on the evaluation's real questions SmolLM2 135M answered more often from the three
best sentence windows (a sentence and its neighbours) than from six 800-character chunks (see the
README's answer figures). Chunks are ranked by the document store's BM25; here their sentences are
ranked again by BM25 among themselves, each with one neighbour on each side for its context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.answer_support import STOPWORDS
from engine.document_prompt import DocumentChunk, is_heading
from storage.passage_index import PassageIndex

SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=[^\s])|\n{2,}")


@dataclass(frozen=True)
class Evidence:
    chunk: DocumentChunk  # where the window's middle sentence lies, for its citation
    text: str
    bits_saved: float | None = None  # of the question, under the model (engine/evidence_ranking)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def content_words(question: str) -> str:
    """The question without its function words: among a few hundred sentences, "did" and "the"
    are rare enough for BM25 to rank a sentence up for them."""
    words = [w for w in question.split() if w.lower().strip("?,.!;:'\"") not in STOPWORDS]
    return " ".join(words) or question


def expanded(question: str, index: PassageIndex, terms: int, feedback: int = 3) -> str:
    """The question's content words and the `terms` words most frequent in the `feedback` best
    sentences that the question lacks (pseudo-relevance feedback): a question asking "when did
    she leave" also finds the sentence saying "departed" next to the names it shares."""
    query = content_words(question)
    if terms <= 0:
        return query
    asked = {w.lower().strip("?,.!;:'\"") for w in question.split()}
    counts: dict[str, int] = {}
    for position in index.search(query, feedback):
        for word in re.findall(r"[^\W\d_]{4,}", index.passages[position]):
            key = word.lower()
            if key not in STOPWORDS and key not in asked:
                counts[key] = counts.get(key, 0) + 1
    extra = sorted(counts, key=lambda w: (-counts[w], w))[:terms]
    return " ".join([query, *extra])


WORD = re.compile(r"[^\W_]+", re.UNICODE)


def word_set(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(text)}


def can_answer(question: str, sentence: str) -> bool:
    """Whether the sentence can be evidence: not a heading, and saying something the question
    does not. A heading or a title shares its few words with a question about it, so BM25 ranks it
    above every sentence, and shown last before the question it answers nothing: SmolLM2 copied
    "To Kill a Mockingbird" ("1. To") and "Spectre (2015 film)" three times as its answers."""
    return not is_heading(sentence) and bool(word_set(sentence) - word_set(question) - STOPWORDS)


def adjacent(one: DocumentChunk, other: DocumentChunk) -> bool:
    """Whether two chunks are the same or next to each other in one document."""
    return one.document_id == other.document_id and abs(one.ordinal - other.ordinal) <= 1


def says_more(question: str, text: str) -> bool:
    """Whether any sentence of `text` could be evidence for the question (see `can_answer`)."""
    return any(can_answer(question, sentence) for sentence in split_sentences(text))


def joins(near: tuple[DocumentChunk, str], middle: tuple[DocumentChunk, str]) -> bool:
    """Whether a sentence beside a window's middle one belongs in its window."""
    return adjacent(near[0], middle[0]) and not is_heading(near[1])


def best_windows(question: str, chunks: Sequence[DocumentChunk], count: int,
                 neighbours: int = 1, expansion_terms: int = 0) -> list[Evidence]:
    """The `count` best sentence windows among `chunks` (in document order within each chunk's
    document), best first; no two windows share their middle sentence."""
    ordered = sorted(chunks, key=lambda c: (c.document_id, c.ordinal))
    sentences: list[tuple[DocumentChunk, str]] = [
        (chunk, sentence) for chunk in ordered for sentence in split_sentences(chunk.text)
    ]
    if not sentences or count <= 0:
        return []
    index = PassageIndex([sentence for _chunk, sentence in sentences])
    try:
        ranked = index.search(expanded(question, index, expansion_terms), count * 3)
    finally:
        index.close()
    chosen: list[Evidence] = []
    used: set[int] = set()
    for position in ranked:
        if position in used or not can_answer(question, sentences[position][1]):
            continue
        low, high = position, position
        for _step in range(neighbours):  # a heading is where a window stops
            if low > 0 and joins(sentences[low - 1], sentences[position]):
                low -= 1
            if high + 1 < len(sentences) and joins(sentences[high + 1], sentences[position]):
                high += 1
        used.update(range(low, high + 1))
        text = " ".join(sentence for _chunk, sentence in sentences[low : high + 1])
        chosen.append(Evidence(sentences[position][0], text))
        if len(chosen) == count:
            break
    return chosen
