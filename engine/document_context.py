"""Building a conversation's DocumentContext from the database: its pinned documents, their
chunks with locations, and BM25 search restricted to them."""

from __future__ import annotations

from pathlib import Path

from engine.chat_session import DocumentContext
from engine.document_prompt import DocumentChunk, PinnedDocument
from engine.state_cache import StateCache
from engine.usable_context import usable_context
from storage import DocumentStore
from storage.documents import Chunk


def as_document_chunk(chunk: Chunk) -> DocumentChunk:
    return DocumentChunk(chunk.id, chunk.document_id, chunk.ordinal, chunk.text, chunk.location,
                         chunk.char_start)


def pinned_documents(
    store: DocumentStore, document_ids: list[int], model_key: str | None = None
) -> list[PinnedDocument]:
    return [
        PinnedDocument(
            document.id,
            document.title,
            tuple(as_document_chunk(c) for c in store.chunks(document.id)),
            store.token_count(document.id, model_key) if model_key else None,
        )
        for document in (store.get(i) for i in document_ids)
    ]


def document_context(
    store: DocumentStore, document_ids: list[int], home: Path, database: Path,
    model_key: str | None = None, states: StateCache | None = None,
) -> DocumentContext | None:
    """The documents and BM25 search the packer needs, plus the saved-state cache; `model_key`
    names the model whose token counts to look up and record (see ChatSession). A caller that makes
    many contexts passes one `states` of its own, to close its connection once (a new cache opens
    one on the model's thread at first use)."""
    if not document_ids:
        return None
    documents = pinned_documents(store, document_ids, model_key)

    def search(question: str, limit: int) -> list[DocumentChunk]:
        hits = store.search(question, document_ids, limit=limit)
        return [as_document_chunk(hit.chunk) for hit in hits]

    usable = usable_context(store.db, model_key).tokens if model_key else None
    states = states or StateCache(home / "states", database)
    return DocumentContext(documents, search, states, model_key, store.set_token_count, usable)
