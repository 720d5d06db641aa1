"""The citations of each answer: which numbered passage (a stored chunk) it cited, and whether the
model cited it or it was matched by wording. Kept so the history and the app can show and open them
later, not only when the answer is fresh."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from storage.database import database_file, translated_errors


@dataclass(frozen=True)
class StoredCitation:
    message_id: int
    number: int
    chunk_id: int
    how: str  # "cited" or "matched"


class CitationStore:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def add(self, message_id: int, citations: Iterable[tuple[int, int, str]]) -> None:
        """(number, chunk id, how) for one message, in one transaction."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            for number, chunk_id, how in citations:
                self.db.execute(
                    "INSERT OR REPLACE INTO message_citations (message_id, number, chunk_id, how) "
                    "VALUES (?, ?, ?, ?)",
                    [message_id, number, chunk_id, how],
                )

    def for_message(self, message_id: int) -> list[StoredCitation]:
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT message_id, number, chunk_id, how FROM message_citations "
                "WHERE message_id = ? ORDER BY number",
                [message_id],
            ).fetchall()
        return [StoredCitation(*row) for row in rows]
