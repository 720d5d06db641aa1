"""Synthetic documents for engine tests: pinned documents built from filler text with a known
needle at a known place, without going through the readers or the database."""

from __future__ import annotations

import random

from engine.document_prompt import DocumentChunk, PinnedDocument
from engine.filler_text import sentences
from storage.locations import Location

NEEDLE = "The access code for the blue vault is 7314."
NEEDLE_QUESTION = "What is the access code for the blue vault?"
NEEDLE_ANSWER = "7314"


def filler_chunks(count: int, seed: int, chars: int = 700) -> list[str]:
    source = sentences(random.Random(seed))
    chunks = []
    for _ in range(count):
        text = ""
        while len(text) < chars:
            text += next(source) + " "
        chunks.append(text.strip())
    return chunks


def document_with_needle(
    chunk_count: int, depth: float, document_id: int = 1, seed: int = 7, chunks_per_page: int = 3
) -> PinnedDocument:
    """Filler chunks with the needle sentence inside the chunk at `depth` (0 = start, 1 = end)."""
    texts = filler_chunks(chunk_count, seed)
    at = min(chunk_count - 1, round(depth * (chunk_count - 1)))
    words = texts[at].split(". ")
    words.insert(len(words) // 2, NEEDLE.rstrip("."))
    texts[at] = ". ".join(words)
    chunks = tuple(
        DocumentChunk(
            chunk_id=document_id * 10_000 + i,
            document_id=document_id,
            ordinal=i,
            text=text,
            location=Location(page=i // chunks_per_page + 1),
        )
        for i, text in enumerate(texts)
    )
    return PinnedDocument(document_id, "Harbour records", chunks)


def needle_page(document: PinnedDocument) -> int | None:
    return next(c.location.page for c in document.chunks if NEEDLE_ANSWER in c.text)


def keyword_search(document: PinnedDocument):
    """A stand-in for BM25 over the stored chunks: rank by shared words with the question."""

    def search(question: str, limit: int) -> list[DocumentChunk]:
        wanted = {w.strip("?.,").lower() for w in question.split() if len(w) > 3}
        scored = [
            (len(wanted & {w.strip("?.,").lower() for w in c.text.split()}), -c.ordinal, c)
            for c in document.chunks
        ]
        scored.sort(key=lambda item: item[:2], reverse=True)
        return [c for score, _, c in scored[:limit] if score > 0]

    return search
