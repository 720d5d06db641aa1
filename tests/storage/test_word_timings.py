"""A spoken message keeps when each of its words was said: written in the message's own transaction,
read back in order, and deleted with the message."""

from __future__ import annotations

import pytest

from storage import ConversationNotFound, ConversationStore, WordTiming, WordTimings

SPOKEN = [WordTiming("When", 1.24, 1.5, 0.93), WordTiming("does", 1.5, 1.7, 0.88),
          WordTiming("it", 1.7, 1.8, 0.97), WordTiming("leave?", 1.8, 2.3, 0.9)]


def test_spoken_message_keeps_its_words_in_order(store: ConversationStore) -> None:
    conversation = store.create()
    message = store.add_message(conversation, "user", "When does it leave?", words=SPOKEN)
    typed = store.add_message(conversation, "user", "Typed, not spoken.")
    timings = WordTimings(store.db)
    assert timings.for_message(message) == SPOKEN
    assert timings.for_message(typed) == []


def test_words_are_not_written_without_their_message(store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFound):
        store.add_message(404, "user", "When does it leave?", words=SPOKEN)
    assert store.db.execute("SELECT COUNT(*) FROM word_timings").fetchone()[0] == 0


def test_words_are_deleted_with_their_conversation(store: ConversationStore) -> None:
    kept, dropped = store.create(), store.create()
    kept_message = store.add_message(kept, "user", "When does it leave?", words=SPOKEN)
    store.add_message(dropped, "user", "When does it leave?", words=SPOKEN)
    store.delete(dropped)
    assert store.db.execute("SELECT COUNT(*) FROM word_timings").fetchone()[0] == len(SPOKEN)
    assert WordTimings(store.db).for_message(kept_message) == SPOKEN


def test_adding_words_again_replaces_them_whole(store: ConversationStore) -> None:
    message = store.add_message(store.create(), "user", "When does it leave?", words=SPOKEN)
    timings = WordTimings(store.db)
    timings.add(message, SPOKEN[:2])
    assert timings.for_message(message) == SPOKEN[:2]


def test_word_timings_cascade_from_messages_in_the_schema(store: ConversationStore) -> None:
    keys = store.db.execute("PRAGMA foreign_key_list(word_timings)").fetchall()
    assert [(row[2], row[3], row[4], row[6]) for row in keys] == [("messages", "message_id", "id", "CASCADE")]
