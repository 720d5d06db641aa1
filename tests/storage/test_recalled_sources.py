"""What recall brought into an answer, kept with it on a real SQLite file: read back in order with
where each source is now; a deleted conversation or a removed document cuts the link but keeps the
label and the words; the rows go with their answer (regenerated or deleted); migration 12 brings
the table to an older database whose rows are kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from storage import ConversationStore, DocumentStore, NewChunk, open_database
from storage.migrations import MIGRATIONS
from storage.recalled_sources import MESSAGE, PASSAGE, RecalledSource, RecalledSources

TRIP = "We booked the Aurora Lodge in Reykjavik."


def recalled_answer(store: ConversationStore, docs: DocumentStore) -> tuple[int, int, int, int, int]:
    """A trip told in one conversation, a ledger, and an answer elsewhere that recalled both:
    (trip conversation, trip message, ledger, its chunk, the answer)."""
    trip = store.create("Trip planning")
    told = store.add_message(trip, "user", TRIP)
    ledger = docs.add("Harbour ledger", None, "aa", "pdf", 100,
                      [NewChunk("The lamp was rebuilt in 1911.", 0, page=2)])
    [chunk] = docs.chunks(ledger)
    here = store.create("Now")
    store.add_message(here, "user", "Which lodge, and when was the lamp rebuilt?")
    answer = store.add_message(here, "assistant", "The Aurora Lodge; in 1911.")
    RecalledSources(store.db).add(answer, [
        RecalledSource(1, MESSAGE, f"conversation {trip} 'Trip planning' (1 Mar 2026), message {told}",
                       TRIP, "Trip planning", "1 Mar 2026", source_message_id=told),
        RecalledSource(2, PASSAGE, f"document {ledger} 'Harbour ledger', p. 2",
                       "The lamp was rebuilt in 1911.", "Harbour ledger", "p. 2", chunk_id=chunk.id),
    ])
    return trip, told, ledger, chunk.id, answer


def test_an_answers_recalled_texts_are_read_back_with_where_they_are(
    store: ConversationStore, docs: DocumentStore,
) -> None:
    trip, told, ledger, chunk, answer = recalled_answer(store, docs)
    reopened = RecalledSources(open_database(store.path))
    found = reopened.for_messages([answer, answer + 100])
    assert list(found) == [answer]
    message, passage = found[answer]
    assert (message.ordinal, message.kind, message.source_message_id, message.conversation_id) == (
        1, MESSAGE, told, trip)
    assert message.stored and message.text == TRIP and message.label.startswith(f"conversation {trip}")
    assert (passage.ordinal, passage.kind, passage.chunk_id, passage.document_id, passage.place) == (
        2, PASSAGE, chunk, ledger, "p. 2")
    assert reopened.get(answer, 2) == passage
    assert reopened.get(answer, 3) is None and reopened.get(answer + 100, 1) is None


def test_a_deleted_source_cuts_the_link_and_keeps_the_label_and_words(
    store: ConversationStore, docs: DocumentStore,
) -> None:
    trip, _, ledger, _, answer = recalled_answer(store, docs)
    store.delete(trip)
    docs.remove(ledger)
    message, passage = RecalledSources(store.db).for_messages([answer])[answer]
    assert not message.stored and message.source_message_id is None and message.conversation_id is None
    assert message.label.startswith(f"conversation {trip} 'Trip planning'") and message.text == TRIP
    assert not passage.stored and passage.chunk_id is None and passage.document_id is None
    assert (passage.title, passage.place, passage.text) == (
        "Harbour ledger", "p. 2", "The lamp was rebuilt in 1911.")
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_the_rows_go_with_their_answer(store: ConversationStore, docs: DocumentStore) -> None:
    _, _, _, _, answer = recalled_answer(store, docs)
    store.delete_from(answer)  # regenerating the answer starts again from it
    assert RecalledSources(store.db).for_messages([answer]) == {}
    assert store.db.execute("SELECT COUNT(*) FROM recalled_sources").fetchone()[0] == 0


def test_an_older_database_gets_the_table_and_keeps_its_answers(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    for number, migration in enumerate(MIGRATIONS[:11], start=1):  # as the previous release left it
        with db.conn:
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
    db.execute("INSERT INTO conversations (title, created, updated) VALUES ('old', 'x', 'x')")
    db.execute("INSERT INTO messages (conversation_id, role, content, created) "
               "VALUES (1, 'assistant', 'An answer from before.', 'x')")
    db.conn.close()
    store = ConversationStore(open_database(path))
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 12
    assert [m.content for m in store.messages(1)] == ["An answer from before."]
    assert RecalledSources(store.db).for_messages([1]) == {}
    _, _, _, _, answer = recalled_answer(store, DocumentStore(store.db))
    assert [s.ordinal for s in RecalledSources(store.db).for_messages([answer])[answer]] == [1, 2]
