"""Whole paragraphs packed into passages of about 800 characters: the later readings' unit.

The stored chunks (media/chunking) are cut at sentences to stay under 1,200 characters, so a
paragraph can end in one chunk and go on in the next. The later readings of a document question
(engine/rereading) read the naive baseline's passages instead: the document's paragraphs,
never cut, packed together up to about 800 characters. Both are read from the same stored chunks:
where two chunks meet inside a paragraph (one character apart in the document's text), they are
joined back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.document_prompt import BLANK_LINE, DocumentChunk

PASSAGE_CHARS = 800


def packed(paragraphs: Iterable[str], size: int = PASSAGE_CHARS) -> list[list[int]]:
    """Which paragraphs (by index) go together: each group filled until the next would pass
    `size` characters; a paragraph longer than `size` stands alone."""
    groups: list[list[int]] = []
    length = 0  # of the last group, with the blank line ("\n\n") before each paragraph after the first
    for index, paragraph in enumerate(paragraphs):
        if not groups or length + 2 + len(paragraph) > size:
            groups.append([])
            length = -2
        length += 2 + len(paragraph)
        groups[-1].append(index)
    return groups


@dataclass(frozen=True)
class ParagraphPassage:
    text: str
    chunk: DocumentChunk  # the stored chunk it starts in: where a citation points


def paragraphs_of(chunks: Sequence[DocumentChunk]) -> list[tuple[str, DocumentChunk]]:
    """One document's paragraphs in order, each with the chunk it starts in."""
    paragraphs: list[tuple[str, DocumentChunk]] = []
    previous: DocumentChunk | None = None
    for chunk in chunks:
        pieces = [p.strip() for p in BLANK_LINE.split(chunk.text) if p.strip()]
        continues = (previous is not None and previous.char_start is not None
                     and chunk.char_start is not None
                     and chunk.char_start - previous.char_start - len(previous.text) <= 1)
        for number, piece in enumerate(pieces):
            if number == 0 and continues and paragraphs:
                text, start = paragraphs[-1]
                paragraphs[-1] = (f"{text} {piece}", start)
            else:
                paragraphs.append((piece, chunk))
        previous = chunk if pieces else previous
    return paragraphs


def paragraph_passages(chunks: Sequence[DocumentChunk],
                       size: int = PASSAGE_CHARS) -> list[ParagraphPassage]:
    """One document's paragraphs packed into passages of about `size` characters."""
    paragraphs = paragraphs_of(chunks)
    return [ParagraphPassage("\n\n".join(paragraphs[i][0] for i in group), paragraphs[group[0]][1])
            for group in packed((text for text, _chunk in paragraphs), size)]
