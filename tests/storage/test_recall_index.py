"""What may be recalled into a conversation, on a real SQLite file: messages of other conversations
(spoken ones marked) and of this one only before its window, passages of documents not pinned to it
with their place, and the per-conversation recall setting, on by default, kept across connections
and brought to older databases by migration 10."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from storage import ConversationStore, DocumentStore, NewChunk, WordTiming, open_database
from storage.migrations import MIGRATIONS
from storage.recall_index import RecallIndex

WORDS = ["Reykjavik", "hotel"]


def test_messages_come_from_other_conversations_and_from_before_this_ones_window(
    store: ConversationStore,
) -> None:
    trip, here = store.create("Trip planning"), store.create("Now")
    planned = store.add_message(trip, "user", "Book the Aurora hotel in Reykjavik for March")
    answered = store.add_message(trip, "assistant", "The Aurora hotel in Reykjavik is booked")
    store.add_message(trip, "user", "Thanks, that is all")
    early = store.add_message(here, "user", "Is the Reykjavik hotel near the harbour?")
    store.add_message(here, "assistant", "It is.")
    visible = store.add_message(here, "user", "Which hotel in Reykjavik did we book?")
    hits = RecallIndex(store.db).messages(WORDS, here, earlier_than=visible)
    assert {hit.message_id for hit in hits} == {planned, answered, early}
    first = next(hit for hit in hits if hit.message_id == planned)
    assert (first.conversation_id, first.conversation_title, first.role) == (trip, "Trip planning",
                                                                             "user")
    assert first.created and first.score > 0 and not first.spoken
    # With the whole conversation in the window, none of its messages (the question among them).
    everything = RecallIndex(store.db).messages(WORDS, here, earlier_than=early)
    assert {hit.conversation_id for hit in everything} == {trip}


def test_a_spoken_message_is_marked_and_fts_syntax_is_only_words(store: ConversationStore) -> None:
    call, here = store.create("Voice conversation"), store.create()
    said = store.add_message(call, "user", "The Reykjavik hotel has a sauna",
                             words=[WordTiming("The", 0.0, 0.2, 0.9)])
    [hit] = RecallIndex(store.db).messages(WORDS, here)
    assert hit.message_id == said and hit.spoken
    assert RecallIndex(store.db).messages(['AND', '(', '"', '*', 'NEAR'], here) == []
    assert RecallIndex(store.db).messages([], here) == []


def test_passages_come_only_from_documents_not_pinned_here(store: ConversationStore) -> None:
    documents = DocumentStore(store.db)
    guide = documents.add("Iceland guide", None, "aa", "pdf", 100, [
        NewChunk("Getting around by bus.", 0, page=1),
        NewChunk("The Aurora hotel in Reykjavik faces the harbour.", 30, page=4),
    ])
    notes = documents.add("Notes", None, "bb", "text", 50,
                          [NewChunk("A Reykjavik hotel list.", 0, line=3)])
    here, elsewhere = store.create(), store.create()
    documents.pin(here, notes)
    hits = RecallIndex(store.db).passages(WORDS, here)
    assert [(hit.chunk.document_id, hit.document_title, hit.chunk.location.label())
            for hit in hits] == [(guide, "Iceland guide", "p. 4")]
    assert {hit.chunk.document_id for hit in RecallIndex(store.db).passages(WORDS, elsewhere)} == {
        guide, notes}


def test_recall_is_on_by_default_and_turning_it_off_is_kept(longwit_home: Path) -> None:
    store = ConversationStore(open_database(longwit_home / "longwit.db"))
    quiet, other = store.create(), store.create()
    assert store.recall_enabled(quiet) and store.recall_enabled(other)
    store.set_recall(quiet, False)
    reopened = ConversationStore(open_database(longwit_home / "longwit.db"))
    assert not reopened.recall_enabled(quiet) and reopened.recall_enabled(other)
    reopened.set_recall(quiet, True)
    assert store.recall_enabled(quiet)


def test_an_older_database_gets_recall_on_for_its_conversations(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    for number, migration in enumerate(MIGRATIONS[:9], start=1):  # as the previous release left it
        with db.conn:
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
    db.execute("INSERT INTO conversations (title, created, updated) VALUES ('old', 'x', 'x')")
    db.conn.close()
    upgraded = ConversationStore(open_database(path))
    assert upgraded.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 10
    assert upgraded.recall_enabled(1)
