"""The citations of each answer: which numbered passage (a stored chunk) it cited, and whether the
model cited it or it was matched by wording. Kept so the history and the app can show and open them
later, not only when the answer is fresh."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.database import database_file, translated_errors
from storage.locations import Location


@dataclass(frozen=True)
class StoredCitation:
    message_id: int
    number: int
    chunk_id: int
    how: str  # "cited", "matched" (by shared wording), or "closest" (shown with a "not found")


@dataclass(frozen=True)
class CitedSource:
    """A stored citation with what the window shows and opens: its document and place."""

    message_id: int
    number: int
    chunk_id: int
    document_id: int
    document_title: str
    location: Location

    @property
    def label(self) -> str:
        return f"{self.document_title}, {self.location.label()}"


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

    def sources(self, message_ids: Sequence[int]) -> list[CitedSource]:
        """The citations of these answers whose passages are still stored, by message and number."""
        if not message_ids:
            return []
        marks = ", ".join("?" for _ in message_ids)
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT mc.message_id, mc.number, mc.chunk_id, c.document_id, d.title, c.page, "
                "c.section, c.line, c.start_s, c.end_s FROM message_citations mc "
                "JOIN chunks c ON c.id = mc.chunk_id JOIN documents d ON d.id = c.document_id "
                f"WHERE mc.message_id IN ({marks}) ORDER BY mc.message_id, mc.number",
                list(message_ids),
            ).fetchall()
        return [CitedSource(*row[:5], Location(*row[5:])) for row in rows]
