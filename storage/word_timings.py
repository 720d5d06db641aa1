"""When each word of a spoken message was said: the speech recognizer's word timings, kept with the
user message they were heard in. Times are seconds of the voice call's audio stream (the clock of the
voice loop's events), so a transcript lines up with a recording of the call. Storage never imports
media: the words arrive as `WordTiming`, not as the recognizer's own type."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from storage.database import database_file, translated_errors


@dataclass(frozen=True)
class WordTiming:
    word: str
    start_s: float
    end_s: float
    probability: float | None = None  # the recognizer's confidence in the word, 0 to 1


def insert_word_timings(db: sqlite_utils.Database, message_id: int, words: Iterable[WordTiming]) -> None:
    """Write a message's words in order, inside the caller's transaction (see add_message)."""
    db.conn.executemany(
        "INSERT INTO word_timings (message_id, ordinal, word, start_s, end_s, probability) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(message_id, ordinal, w.word, w.start_s, w.end_s, w.probability)
         for ordinal, w in enumerate(words)],
    )


class WordTimings:
    """Reads and writes word timings; one per connection (per thread), like the other stores."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def add(self, message_id: int, words: Iterable[WordTiming]) -> None:
        """The words of one message, replacing any it had, in one transaction."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM word_timings WHERE message_id = ?", [message_id])
            insert_word_timings(self.db, message_id, words)

    def for_message(self, message_id: int) -> list[WordTiming]:
        """The words of one message in the order they were said; empty for a typed message."""
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT word, start_s, end_s, probability FROM word_timings "
                "WHERE message_id = ? ORDER BY ordinal",
                [message_id],
            ).fetchall()
        return [WordTiming(*row) for row in rows]
