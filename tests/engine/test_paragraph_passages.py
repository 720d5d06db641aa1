"""The later readings' passages: the document's paragraphs, joined back where a stored chunk was
cut inside one, packed to about 800 characters, each pointing at the chunk it starts in."""

from __future__ import annotations

from engine.document_prompt import DocumentChunk
from engine.evaluation.baseline import blank_line_chunks
from engine.paragraph_passages import packed, paragraph_passages, paragraphs_of
from storage.locations import Location


def chunks_of(text: str, cuts: list[int]) -> list[DocumentChunk]:
    """`text` cut at `cuts` (offsets) as the chunker stores it: each piece stripped, with its start."""
    chunks, start = [], 0
    for number, end in enumerate([*cuts, len(text)]):
        piece = text[start:end]
        offset = start + len(piece) - len(piece.lstrip())
        chunks.append(DocumentChunk(number + 1, 1, number, piece.strip(), Location(page=1), offset))
        start = end
    return chunks


def test_a_paragraph_cut_between_two_chunks_is_joined_back() -> None:
    text = ("First paragraph, one sentence. And a second one.\n\nSecond paragraph starts here. "
            "It goes on in the next chunk. And ends.\n\nThird.")
    cut = text.index("It goes on")
    chunks = chunks_of(text, [cut - 1, text.index("Third") - 2])
    paragraphs = paragraphs_of(chunks)
    assert [p for p, _ in paragraphs] == [
        "First paragraph, one sentence. And a second one.",
        "Second paragraph starts here. It goes on in the next chunk. And ends.",
        "Third."]
    assert [c.ordinal for _, c in paragraphs] == [0, 0, 2]  # where each starts: what is cited


def test_chunks_without_a_known_start_are_paragraphs_of_their_own() -> None:
    chunks = [DocumentChunk(i, 1, i, f"Sentence {i}.", Location(page=1)) for i in range(3)]
    assert [p for p, _ in paragraphs_of(chunks)] == ["Sentence 0.", "Sentence 1.", "Sentence 2."]


def test_paragraphs_are_packed_as_the_naive_baseline_packs_them() -> None:
    paragraphs = [("word " * n).strip() for n in (50, 60, 200, 30, 30, 10)]
    text = "\n\n".join(paragraphs)
    third = sum(len(p) + 2 for p in paragraphs[:3])  # where the fourth paragraph starts
    chunks = chunks_of(text, [third - 2])
    passages = paragraph_passages(chunks)
    assert [p.text for p in passages] == blank_line_chunks(text)
    assert packed([p for p in paragraphs], 800) == [[0, 1], [2], [3, 4, 5]]
    assert passages[-1].chunk.ordinal == 1
