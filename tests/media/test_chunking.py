"""Chunks are about the size asked for, never cross a passage, carry the passage's location (and the
line they start on), and map back exactly into the document's text."""

from __future__ import annotations

import random

import pytest

from media.chunking import ChunkingOptions, TextChunk, chunk_document
from media.document import DocumentText, Location, Passage

WORDS = [
    "the",
    "keeper",
    "lit",
    "the",
    "lamp",
    "at",
    "dusk",
    "and",
    "watched",
    "ships",
    "pass",
    "in",
    "the",
    "long",
    "winter",
    "night",
]


def prose(seed: int, sentences: int, width: int = 70) -> str:
    """Sentences in paragraphs, lines wrapped at about `width` characters."""
    rng = random.Random(seed)
    lines, line = [], []
    for _ in range(sentences):
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 20))).capitalize() + "."
        line.append(sentence)
        if sum(len(s) for s in line) > width:
            lines.append(" ".join(line))
            line = []
            if rng.random() < 0.2:
                lines.append("")
    lines.append(" ".join(line))
    return "\n".join(lines)


def numbered(text: str, first_line: int) -> str:
    return "\n".join(f"L{first_line + i} {line}" if line else "" for i, line in enumerate(text.split("\n")))


def text_document(width: int = 70) -> DocumentText:
    """Plain-text passages whose lines are numbered ("L12 …") with their line in the document."""
    passages, line = [], 1
    for seed in range(6):
        text = numbered(prose(seed, 40 + 30 * seed, width), line)
        passages.append(Passage(text, Location(line=line)))
        line += text.count("\n") + 2
    return DocumentText("Lines", "text", passages)


def spans(document: DocumentText) -> list[tuple[int, int, Passage]]:
    out, offset = [], 0
    for passage in document.passages:
        out.append((offset, offset + len(passage.text), passage))
        offset += len(passage.text) + 2
    return out


def passage_of(chunk: TextChunk, document: DocumentText) -> Passage:
    end = chunk.char_start + len(chunk.text)
    inside = [p for start, stop, p in spans(document) if start <= chunk.char_start and end <= stop]
    assert len(inside) == 1, f"chunk at {chunk.char_start} crosses a passage boundary"
    return inside[0]


def test_chunks_map_back_exactly_and_stay_inside_one_passage() -> None:
    document = text_document()
    chunks = list(chunk_document(document))
    assert len(chunks) > 10
    for chunk in chunks:
        assert document.text[chunk.char_start : chunk.char_start + len(chunk.text)] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        passage = passage_of(chunk, document)
        assert chunk.location.page == passage.location.page
    assert [c.char_start for c in chunks] == sorted(c.char_start for c in chunks)


def test_sizes_stay_within_bounds() -> None:
    document = text_document()
    options = ChunkingOptions()
    chunks = list(chunk_document(document, options))
    assert max(len(c.text) for c in chunks) <= options.max_chars
    last_of_passage = {
        max((c for c in chunks if passage_of(c, document) is p), key=lambda c: c.char_start).char_start
        for p in document.passages
    }
    inner = sorted(len(c.text) for c in chunks if c.char_start not in last_of_passage)
    assert inner[len(inner) // 2] >= options.target_chars * 0.9
    small = list(chunk_document(document, ChunkingOptions(target_chars=200, max_chars=300)))
    assert max(len(c.text) for c in small) <= 300 and len(small) > 3 * len(chunks)


@pytest.mark.parametrize("width", [70, 600])
def test_each_chunk_carries_the_line_it_starts_on(width: int) -> None:
    document = text_document(width)
    chunks = list(chunk_document(document, ChunkingOptions(target_chars=150, max_chars=250)))
    mid_line = 0
    for chunk in chunks:
        # The label of the line the chunk starts on, even when it starts in the middle of a line.
        line_start = document.text.rfind("\n", 0, chunk.char_start) + 1
        mid_line += line_start < chunk.char_start
        label = document.text[line_start:].split(" ", 1)[0]
        assert label == f"L{chunk.location.line}", chunk.text[:40]
    assert mid_line > 10 if width == 600 else mid_line == 0


def test_pages_sections_and_times_pass_through_unchanged() -> None:
    passages = [
        Passage(prose(1, 30), Location(page=1)),
        Passage(prose(2, 30), Location(section="Chapter 2")),
        Passage("A short transcribed segment.", Location(start_s=3.0, end_s=7.5)),
    ]
    document = DocumentText("Mixed", "pdf", passages)
    chunks = list(chunk_document(document))
    assert {passage_of(c, document).location for c in chunks} == {p.location for p in passages}
    for chunk in chunks:
        assert chunk.location == passage_of(chunk, document).location


def test_unicode_markdown_and_blank_passages() -> None:
    accented = "Ça a été très bien, über alles. 日本語の文章です。 Emoji 🚢 too.\n" * 60
    markdown = "# Title\n\nSome intro.\n\n## Part\n\n" + "- item with words\n" * 100
    document = DocumentText(
        "Notes",
        "markdown",
        [
            Passage("   \n  ", Location(line=1)),
            Passage(accented, Location(line=3)),
            Passage(markdown, Location(section="Part")),
        ],
    )
    chunks = list(chunk_document(document))
    for chunk in chunks:
        assert document.text[chunk.char_start : chunk.char_start + len(chunk.text)] == chunk.text
        assert len(chunk.text) <= 1200
    assert chunks[0].location.line == 3
    assert list(chunk_document(DocumentText("Empty", "text", []))) == []


def test_impossible_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="target"):
        ChunkingOptions(target_chars=900, max_chars=800)
