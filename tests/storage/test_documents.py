"""Documents go in whole or not at all, are kept once per content, leave nothing behind when removed,
and their chunks are found by BM25, best first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import (
    ConversationNotFound,
    ConversationStore,
    DocumentAlreadyStored,
    DocumentNotFound,
    DocumentStore,
    NewChunk,
    open_database,
)


def new_chunks(*texts: str) -> list[NewChunk]:
    """Chunks laid out as DocumentText lays out passages: joined by a blank line."""
    chunks, start = [], 0
    for number, text in enumerate(texts, start=1):
        chunks.append(NewChunk(text, start, line=number))
        start += len(text) + 2
    return chunks


def add(docs: DocumentStore, sha: str, *texts: str, title: str = "A title") -> int:
    return docs.add(title, f"/tmp/{sha}.txt", sha, "text", 123, new_chunks(*texts))


def count(docs: DocumentStore, table: str) -> int:
    return docs.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_add_keeps_chunks_in_order_with_their_locations(docs: DocumentStore) -> None:
    document_id = add(docs, "aa", "first part", "second part", "third")
    document = docs.get(document_id)
    assert (document.title, document.kind, document.chunk_count, document.char_count) == (
        "A title", "text", 3, len("first part") + len("second part") + len("third"))
    chunks = docs.chunks(document_id)
    assert [c.text for c in chunks] == ["first part", "second part", "third"]
    assert [(c.ordinal, c.line, c.char_start) for c in chunks] == [(0, 1, 0), (1, 2, 12), (2, 3, 25)]
    assert docs.find_by_sha256("aa") == document
    assert docs.find_by_sha256("bb") is None
    assert docs.list() == [document]


def test_failure_in_the_middle_of_the_chunks_leaves_nothing(docs: DocumentStore) -> None:
    def failing() -> Iterator[NewChunk]:
        yield NewChunk("one chunk went in", 0)
        yield NewChunk("and another", 19)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        docs.add("Half", "/tmp/half.txt", "cc", "text", 10, failing())
    assert docs.list() == []
    assert count(docs, "chunks") == 0
    assert docs.search("chunk") == []
    assert docs.get(add(docs, "cc", "it can be added again")).chunk_count == 1


def test_same_content_is_refused_with_the_existing_id(docs: DocumentStore) -> None:
    first = add(docs, "dd", "text")
    with pytest.raises(DocumentAlreadyStored, match=f"#{first}") as caught:
        add(docs, "dd", "other text")
    assert caught.value.document_id == first
    assert count(docs, "documents") == 1


def test_remove_deletes_chunks_index_rows_token_counts_and_pins(docs: DocumentStore,
                                                               store: ConversationStore) -> None:
    kept = add(docs, "ee", "zanzibar kept")
    gone = add(docs, "ff", "zanzibar gone", "more zanzibar")
    conversation = store.create()
    docs.pin(conversation, gone)
    docs.pin(conversation, kept)
    docs.set_token_count(gone, "smollm2", 42)
    docs.remove(gone)
    assert [hit.chunk.document_id for hit in docs.search("zanzibar")] == [kept]
    assert docs.pinned(conversation) == [docs.get(kept)]
    assert docs.token_count(gone, "smollm2") is None
    assert count(docs, "chunks") == 1
    # The FTS index itself holds only the kept chunk (checked by FTS5's own integrity check).
    docs.db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
    with pytest.raises(DocumentNotFound, match="longwit docs list"):
        docs.get(gone)
    with pytest.raises(DocumentNotFound):
        docs.remove(gone)


def test_search_ranks_the_rarest_words_first_and_can_be_restricted(docs: DocumentStore) -> None:
    filler = "the keeper walked along the shore and looked at the sea"
    one = add(docs, "g1", filler, "the keeper fed the albatross quinoa at dawn", filler,
              title="Lighthouse")
    two = add(docs, "g2", filler, "an albatross flew over the shore", title="Birds")
    hits = docs.search("Why did the keeper give quinoa to the albatross?")
    assert hits[0].chunk.text == "the keeper fed the albatross quinoa at dawn"
    assert hits[0].document_title == "Lighthouse"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(hits) == 5  # OR-ed: every chunk shares some word with the question
    assert {h.chunk.document_id for h in docs.search("albatross", document_ids=[two])} == {two}
    assert docs.search("albatross", document_ids=[]) == []
    assert len(docs.search("keeper", limit=2)) == 2
    assert docs.search("keeper albatross", any_word=False)[0].chunk.document_id == one
    assert len(docs.search("keeper albatross", any_word=False)) == 1
    assert docs.search('NEAR ( " * - OR') == []  # FTS5 syntax is searched as words
    assert {h.chunk.text for h in docs.search("AND")} == {filler}
    assert docs.search("  ") == []


def test_token_counts_are_kept_per_model(docs: DocumentStore) -> None:
    document_id = add(docs, "hh", "text")
    assert docs.token_count(document_id, "gemma") is None
    docs.set_token_count(document_id, "gemma", 100)
    docs.set_token_count(document_id, "gemma", 120)
    docs.set_token_count(document_id, "smollm2", 130)
    assert (docs.token_count(document_id, "gemma"), docs.token_count(document_id, "smollm2")) == (
        120, 130)
    with pytest.raises(DocumentNotFound):
        docs.set_token_count(999, "gemma", 1)


def test_pins_belong_to_one_conversation_and_go_with_it(docs: DocumentStore,
                                                        store: ConversationStore) -> None:
    first, second = add(docs, "i1", "one"), add(docs, "i2", "two")
    talk, other = store.create(), store.create()
    docs.pin(talk, second)
    docs.pin(talk, first)
    docs.pin(talk, first)
    assert [d.id for d in docs.pinned(talk)] == [second, first]
    assert docs.pinned(other) == []
    docs.unpin(talk, second)
    assert [d.id for d in docs.pinned(talk)] == [first]
    with pytest.raises(ConversationNotFound):
        docs.pin(999, first)
    with pytest.raises(DocumentNotFound):
        docs.pin(talk, 999)
    store.delete(talk)
    assert count(docs, "conversation_documents") == 0
    assert docs.get(first).id == first


def test_documents_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    document_id = add(DocumentStore(open_database(path)), "jj", "persisted words")
    reopened = DocumentStore(open_database(path))
    assert [c.text for c in reopened.chunks(document_id)] == ["persisted words"]
