"""Putting a synthetic PinnedDocument into a test's database, as ingestion would."""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.document_prompt import PinnedDocument
from storage import DocumentStore, NewChunk, open_database


def store_pinned(home: Path, document: PinnedDocument) -> int:
    text = "\n\n".join(chunk.text for chunk in document.chunks)
    rows, offset = [], 0
    for chunk in document.chunks:
        rows.append(NewChunk(chunk.text, offset, page=chunk.location.page))
        offset += len(chunk.text) + 2
    store = DocumentStore(open_database(home / "longwit.db"))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return store.add(document.title, None, digest, "text", len(text), rows)
