"""The samples behind a deliberate answer: every answer the model wrote for it, which agreed with
which, and which was shown, so the person can read the ones that disagreed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.database import database_file, translated_errors


@dataclass(frozen=True)
class AnswerSample:
    ordinal: int
    content: str
    group: int  # 0: the group of the answer shown; 1, 2…: the others, largest first
    chosen: bool
    completion_tokens: int | None = None


class AnswerSamples:
    """Reads and writes answer samples; one per connection (per thread), like the other stores."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def add(self, message_id: int, samples: Sequence[AnswerSample]) -> None:
        """One message's samples, replacing any it had, in one transaction."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM answer_samples WHERE message_id = ?", [message_id])
            self.db.conn.executemany(
                "INSERT INTO answer_samples (message_id, ordinal, content, answer_group, chosen, "
                "completion_tokens) VALUES (?, ?, ?, ?, ?, ?)",
                [(message_id, s.ordinal, s.content, s.group, int(s.chosen), s.completion_tokens)
                 for s in samples],
            )

    def for_message(self, message_id: int) -> list[AnswerSample]:
        """The samples in the order they were written; empty for a plain answer."""
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT ordinal, content, answer_group, chosen, completion_tokens FROM answer_samples "
                "WHERE message_id = ? ORDER BY ordinal",
                [message_id],
            ).fetchall()
        return [AnswerSample(o, c, g, bool(chosen), t) for o, c, g, chosen, t in rows]
