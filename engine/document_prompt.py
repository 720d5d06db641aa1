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
# For models too small to cite reliably: unnumbered passages and one plain sentence (the sources are
# then matched to the answer by their wording).
PLAIN_INSTRUCTION = (
    "Answer the question using only the passages, in one short sentence, in the language of the "
    "question."
)
CITE_INSTRUCTION = (
    "Answer from the documents' passages, briefly, with their words, in the language of the "
    "question. Each question comes with numbered passages; after each claim, cite the passage you "
    "used by its number in square brackets, like [1]."
)


SENTENCE_CLOSE = re.compile(r"[.!?:;…。！？]['\"’”)\]]*$")
HEADING_WORDS = 8
# "9. Acceptance Not Required for Having Copies.", "2.3 Scope": a numbered heading, full stop or not.
NUMBERED_HEADING = re.compile(r"^(?:§\s*)?\d+(?:\.\d+)*\.?\s+\S")


def is_heading(sentence: str) -> bool:
    """A title or heading: a few words with no sentence's ending ("Spectre (2015 film)")."""
    return len(sentence.split()) < HEADING_WORDS and not SENTENCE_CLOSE.search(sentence)


BLANK_LINE = re.compile(r"\n\s*\n")
WRAPPED_WIDTH = 50  # a paragraph whose lines run about this long or more was wrapped by its writer
CODE_ENDINGS = ("{", "}", ";", "(", ")", ",", "\\")


def unwrapped(paragraph: str) -> str:
    """A paragraph of prose hard-wrapped at a fixed width (a plain-text licence, a Project
    Gutenberg book) as one line. A small model copies the line breaks of what it reads into its
    answer (SmolLM2 broke its answers about the GPL where the licence's lines end), so prose reads
    unwrapped; short lines (verse, an address) keep their breaks."""
    lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
    if len(lines) < 2:
        return paragraph.strip()
    width = max(len(line) for line in lines)
    if width < WRAPPED_WIDTH or any(len(line) < width / 2 for line in lines[:-1]) or is_code(lines):
        return paragraph
    return " ".join(lines)


def is_code(lines: list[str]) -> bool:
    """A fenced block, or lines most of which end as code does: their breaks are meaning."""
    if any(line.startswith(("```", "~~~")) for line in lines):
        return True
    return sum(line.endswith(CODE_ENDINGS) for line in lines) * 2 > len(lines)


def reflowed(text: str) -> str:
    """`text` with each hard-wrapped paragraph as one line (see `unwrapped`)."""
    return "\n\n".join(unwrapped(p) for p in BLANK_LINE.split(text) if p.strip())


def passage_text(text: str) -> str:
    """A chunk as the model reads it among the passages: hard-wrapped prose unwrapped, a paragraph
    that repeats the one before it ("Solar energy" twice, the title and then a heading of the same
    name) once, and without the headings it ends on, which open a part the passage does not show
    (SmolLM2 answered "The answer is: 9." from a licence's trailing "9. Acceptance Not Required for
    Having Copies.")."""
    paragraphs: list[str] = []
    for paragraph in BLANK_LINE.split(reflowed(text)):
        if not paragraphs or paragraph.strip() != paragraphs[-1].strip():
            paragraphs.append(paragraph)
    while len(paragraphs) > 1 and ends_on_heading(paragraphs[-1]):
        paragraphs.pop()
    return "\n\n".join(paragraphs).strip() or text


def ends_on_heading(paragraph: str) -> bool:
    line = " ".join(paragraph.split())
    return is_heading(line) or (len(line.split()) < HEADING_WORDS and bool(NUMBERED_HEADING.match(line)))


@dataclass(frozen=True)
class DocumentChunk:
    """One stored chunk of a pinned document, as the packer sees it."""

    chunk_id: int
    document_id: int
    ordinal: int
    text: str
    location: Location
    # Where the chunk starts in the document's text (None where unknown): two chunks one character
    # apart were cut inside a paragraph (engine/paragraph_passages).
    char_start: int | None = None


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
        return reflowed(self.shown) if self.shown else passage_text(self.chunk.text)

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
        lines.append(reflowed(chunk.text))
    lines.append(f"=== End of document {number} ===")
    return "\n".join(lines)


def system_with_documents(system_prompt: str, documents: list[PinnedDocument], whole: bool,
                          numbered: bool = True) -> str:
    titles = ", ".join(f'"{d.title}"' for d in documents)
    instruction = CITE_INSTRUCTION if numbered else PLAIN_INSTRUCTION
    if whole:
        blocks = "\n\n".join(document_block(i, d) for i, d in enumerate(documents, start=1))
        intro = f"The user has shared {len(documents)} document(s): {titles}. Here they are in full."
        return f"{system_prompt}\n\n{intro}\n\n{blocks}\n\n{instruction}"
    # No sentence about the documents here: SmolLM2 135M answered "The user has shared 1
    # document(s): …" back, word for word. The passages come with each question.
    return f"{system_prompt}\n\n{instruction}"


def question_with_passages(question: str, passages: list[SourcePassage], numbered: bool = True,
                           asked_first: bool = False) -> str:
    """The passages, numbered for citing or plain, then the question (and, `asked_first`, the
    question before them too, so the model reads them knowing what is asked). No places: every
    token here is paid again each turn, and the citations say where each passage is."""
    if not passages:
        return question
    if numbered:
        shown = "\n".join(f"[{p.number}] {p.text}" for p in passages)
    else:
        shown = "Passages:\n" + "\n\n".join(p.text for p in passages)
    before = f"Question: {question}\n\n" if asked_first else ""
    return f"{before}{shown}\n\nQuestion: {question}"


def number_passages(chunks: list[DocumentChunk], titles: dict[int, str]) -> list[SourcePassage]:
    """Number chunks in document order (document, then position), as the model will read them."""
    ordered = sorted(chunks, key=lambda c: (c.document_id, c.ordinal))
    return [
        SourcePassage(number, chunk, titles.get(chunk.document_id, "document"))
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
