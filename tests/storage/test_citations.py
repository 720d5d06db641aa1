"""A citation points at a stored chunk or keeps its passage by its words (an imported answer whose
document is not here); both come back as sources with their title, place and text, a citation
pointing nowhere is refused by the schema, and an older database keeps its citations when it gains
the quoted columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from storage import ConversationStore, DocumentStore, NewChunk, open_database
from storage.citations import CitationStore, QuotedPassage, insert_quoted_citation
from storage.locations import Location
from storage.migrations import MIGRATIONS


def answered(store: ConversationStore) -> int:
    conversation = store.create()
    store.add_message(conversation, "user", "Who kept the lighthouse?")
    return store.add_message(conversation, "assistant", "Ansel Marrow [1] [2].")


def test_quoted_and_stored_citations_both_come_back_as_sources(store: ConversationStore) -> None:
    docs = DocumentStore(store.db)
    document = docs.add("Velmora", None, "aa", "text", 10,
                        [NewChunk("Its keeper was Ansel Marrow.", 0, page=3)])
    chunk = docs.chunks(document)[0]
    message = answered(store)
    citations = CitationStore(store.db)
    citations.add(message, [(1, chunk.id, "cited")])
    quote = QuotedPassage("Harbour records", "Marrow kept a diary.", Location(section="Keepers"), "bb")
    with store.db.conn:
        insert_quoted_citation(store.db, message, 2, "matched", quote)

    stored, quoted = citations.sources([message])
    assert (stored.number, stored.how, stored.text, stored.label, stored.stored) == (
        1, "cited", "Its keeper was Ansel Marrow.", "Velmora, p. 3", True)
    assert (stored.document_id, stored.document_sha256) == (document, "aa")
    assert (quoted.number, quoted.how, quoted.text, quoted.label, quoted.stored) == (
        2, "matched", "Marrow kept a diary.", "Harbour records, § Keepers", False)
    assert (quoted.chunk_id, quoted.document_id, quoted.document_sha256) == (None, None, "bb")
    assert [c.chunk_id for c in citations.for_message(message)] == [chunk.id, None]


def test_a_citation_with_neither_chunk_nor_passage_is_refused(store: ConversationStore) -> None:
    message = answered(store)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        store.db.execute("INSERT INTO message_citations (message_id, number, chunk_id, how) "
                         "VALUES (?, 1, NULL, 'cited')", [message])


def test_quoted_citations_go_with_their_conversation(store: ConversationStore) -> None:
    message = answered(store)
    with store.db.conn:
        insert_quoted_citation(store.db, message, 1, "cited",
                               QuotedPassage("Harbour records", "Marrow kept a diary.", Location()))
    store.delete(store.list()[0].id)
    assert store.db.execute("SELECT COUNT(*) FROM message_citations").fetchone()[0] == 0


def test_an_older_database_keeps_its_citations_when_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    for number, migration in enumerate(MIGRATIONS[:5], start=1):  # as the previous release left it
        with db.conn:
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
    # Written as that release wrote them (today's DocumentStore knows columns it lacked).
    db.execute("INSERT INTO documents (title, path, sha256, kind, size_bytes, char_count, "
               "chunk_count, created) VALUES ('Velmora', NULL, 'aa', 'text', 10, 21, 1, 'then')")
    chunk = db.execute("INSERT INTO chunks (document_id, ordinal, text, char_start) "
                       "VALUES (1, 0, 'Its keeper was Ansel.', 0)").lastrowid
    message = answered(ConversationStore(db))
    CitationStore(db).add(message, [(1, chunk, "cited")])
    db.conn.close()

    upgraded = open_database(path)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 6
    assert [s.text for s in CitationStore(upgraded).sources([message])] == ["Its keeper was Ansel."]
