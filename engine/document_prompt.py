"""How documents are written into the prompt: whole documents with place markers for the stable
prefix, and numbered passages right before the question.

Small models lose what sits deep in a long context (DESIGN.md): the whole document stays in the
cached prefix, and the few best passages are repeated, numbered, just before the question, where
the model attends best and from where it can cite them as [1], [2]…
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.locations import Location

# In the system prompt (the cached prefix), not repeated with every question: each token after
# the prefix costs time to first token on every turn.
CITE_INSTRUCTION = (
    "Answer from the documents. Each question comes with numbered passages from them; after each "
    "claim, cite the passage you used by its number in square brackets, like [1]."
)


@dataclass(frozen=True)
class DocumentChunk:
    """One stored chunk of a pinned document, as the packer sees it."""

    chunk_id: int
    document_id: int
    ordinal: int
    text: str
    location: Location


@dataclass(frozen=True)
class PinnedDocument:
    document_id: int
    title: str
    chunks: tuple[DocumentChunk, ...]
    token_count: int | None = None  # for the model in use, once known (stored per model)


@dataclass(frozen=True)
class SourcePassage:
    """A passage shown to the model under a number it can cite: a whole chunk, or (when the whole
    document is already in the prompt) the sentences of the chunk that bear on the question."""

    number: int
    chunk: DocumentChunk
    document_title: str
    shown: str = ""

    @property
    def text(self) -> str:
        return self.shown or self.chunk.text

    @property
    def label(self) -> str:
        return f"{self.document_title}, {self.chunk.location.label()}"


def marker(location: Location) -> str:
    return f"[{location.label()}]"


def document_block(number: int, document: PinnedDocument) -> str:
    """The whole document, with a place marker wherever the page, section or time changes."""
    lines = [f"=== Document {number}: {document.title} ==="]
    previous = None
    for chunk in document.chunks:
        label = marker(chunk.location)
        if label != previous:
            lines.append(label)
            previous = label
        lines.append(chunk.text)
    lines.append(f"=== End of document {number} ===")
    return "\n".join(lines)


def system_with_documents(system_prompt: str, documents: list[PinnedDocument], whole: bool) -> str:
    titles = ", ".join(f'"{d.title}"' for d in documents)
    if whole:
        blocks = "\n\n".join(document_block(i, d) for i, d in enumerate(documents, start=1))
        intro = f"The user has shared {len(documents)} document(s): {titles}. Here they are in full."
        return f"{system_prompt}\n\n{intro}\n\n{blocks}\n\n{CITE_INSTRUCTION}"
    intro = (
        f"The user has shared {len(documents)} document(s): {titles}. They are too long to show "
        "whole; with each question you get the passages most relevant to it."
    )
    return f"{system_prompt}\n\n{intro}\n\n{CITE_INSTRUCTION}"


def question_with_passages(question: str, passages: list[SourcePassage], labels: bool) -> str:
    """The numbered passages, then the question. Places are shown only with whole passages
    (passage mode), where they tell the model what it is reading; the focused sentence repeated
    in full-context mode goes without, since every token here is paid again each turn."""
    if not passages:
        return question
    several = len({p.chunk.document_id for p in passages}) > 1

    def head(p: SourcePassage) -> str:
        if not labels:
            return f"[{p.number}]"
        return f"[{p.number}] ({p.label if several else p.chunk.location.label()})"

    shown = "\n".join(f"{head(p)} {p.text}" for p in passages)
    return f"{shown}\n\nQuestion: {question}"


def number_passages(
    chunks: list[DocumentChunk], titles: dict[int, str], focus_on: str | None = None,
    focus_chars: int = 0,
) -> list[SourcePassage]:
    """Number chunks in document order (document, then position), as the model will read them;
    with `focus_on`, show only the sentences of each that share most words with it."""
    ordered = sorted(chunks, key=lambda c: (c.document_id, c.ordinal))
    return [
        SourcePassage(number, chunk, titles.get(chunk.document_id, "document"),
                      focus(chunk.text, focus_on, focus_chars) if focus_on else "")
        for number, chunk in enumerate(ordered, start=1)
    ]


SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


def focus(text: str, question: str, max_chars: int) -> str:
    """The run of sentences around the one sharing most words with the question, within
    `max_chars`; repeating these instead of the whole chunk keeps each turn a few dozen tokens."""
    sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
    if len(text) <= max_chars or len(sentences) < 2:
        return text
    wanted = {w.lower() for w in WORD.findall(question)}
    scores = [len(wanted & {w.lower() for w in WORD.findall(s)}) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    low = high = best
    while True:
        grown = False
        for candidate in (high + 1, low - 1):
            if 0 <= candidate < len(sentences):
                span = sentences[min(low, candidate): max(high, candidate) + 1]
                if len(" ".join(span)) <= max_chars:
                    low, high, grown = min(low, candidate), max(high, candidate), True
        if not grown:
            break
    return " ".join(sentences[low : high + 1])
