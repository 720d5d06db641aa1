"""What recall brought into an answer's prompt, kept with the answer: each recalled text's label,
its words, and a link to where it came from (an earlier message, or a document's chunk), so the
window can show the answer's recalled texts and open their sources after the conversation is
opened again, not only while the answer is fresh.

A source may be deleted after the answer (a conversation deleted, a document removed or read
again): its link is then cut by the schema (m012) and the row keeps its label and words, and for
a passage its document's title and place, so the passage still opens as a quote. Which texts are
recalled is the engine's business (engine/recall); this only keeps what it chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.database import database_file, translated_errors

MESSAGE, PASSAGE = "message", "passage"


@dataclass(frozen=True)
class RecalledSource:
    """One recalled text of an answer, numbered from 1 in the order the prompt held them."""

    ordinal: int
    kind: str  # MESSAGE or PASSAGE
    label: str  # for the person: "conversation 12 'Trip' (12 Mar 2026), message 41"
    text: str  # the words the model was shown
    title: str  # the conversation's or the document's title
    place: str  # a message's date, a passage's page, section, line or time
    source_message_id: int | None = None  # None for a passage, or a message deleted since
    chunk_id: int | None = None  # None for a message, or a chunk deleted since
    conversation_id: int | None = None  # where the source message is now (read, not written)
    document_id: int | None = None  # whose chunk (read, not written)

    @property
    def stored(self) -> bool:
        """Whether the source is still in this database (so its link can follow it)."""
        return (self.source_message_id if self.kind == MESSAGE else self.chunk_id) is not None


COLUMNS = (
    "r.message_id, r.ordinal, r.kind, r.label, r.text, r.title, r.place, r.source_message_id, "
    "r.chunk_id, m.conversation_id, c.document_id"
)
JOINS = ("FROM recalled_sources r LEFT JOIN messages m ON m.id = r.source_message_id "
         "LEFT JOIN chunks c ON c.id = r.chunk_id")


def source_from_row(row: Sequence) -> tuple[int, RecalledSource]:
    return row[0], RecalledSource(*row[1:])


def insert_recalled(db: sqlite_utils.Database, message_id: int, sources: Sequence[RecalledSource]) -> None:
    """Write an answer's recalled texts inside the caller's transaction (an import's)."""
    db.conn.executemany(
        "INSERT INTO recalled_sources (message_id, ordinal, kind, label, text, title, place, "
        "source_message_id, chunk_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(message_id, s.ordinal, s.kind, s.label, s.text, s.title, s.place,
          s.source_message_id, s.chunk_id) for s in sources],
    )


class RecalledSources:
    """Reads and writes answers' recalled texts; one per connection (per thread), like the other
    stores."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def add(self, message_id: int, sources: Sequence[RecalledSource]) -> None:
        """One answer's recalled texts, replacing any it had, in one transaction."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM recalled_sources WHERE message_id = ?", [message_id])
            insert_recalled(self.db, message_id, sources)

    def for_messages(self, message_ids: Sequence[int]) -> dict[int, list[RecalledSource]]:
        """The recalled texts of these answers, by answer, in their order; answers that recalled
        nothing are left out."""
        if not message_ids:
            return {}
        marks = ", ".join("?" for _ in message_ids)
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {COLUMNS} {JOINS} WHERE r.message_id IN ({marks}) "
                "ORDER BY r.message_id, r.ordinal",
                list(message_ids),
            ).fetchall()
        found: dict[int, list[RecalledSource]] = {}
        for row in rows:
            message_id, source = source_from_row(row)
            found.setdefault(message_id, []).append(source)
        return found

    def get(self, message_id: int, ordinal: int) -> RecalledSource | None:
        """One recalled text of an answer, or None if the answer (or that number) is not stored."""
        with translated_errors(self.path):
            row = self.db.execute(
                f"SELECT {COLUMNS} {JOINS} WHERE r.message_id = ? AND r.ordinal = ?",
                [message_id, ordinal],
            ).fetchone()
        return None if row is None else source_from_row(row)[1]
