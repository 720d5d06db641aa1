"""The citations of each answer: which numbered passage it cited, and whether the model cited it or
it was matched by wording. Kept so the history and the app can show and open them later, not only
when the answer is fresh.

A citation points at a stored chunk, or, when its document is not in this database (an imported
conversation), keeps the passage itself: its words, its place and its document's title.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlite_utils

from storage.database import database_file, translated_errors
from storage.locations import Location

HOW_VALUES = ("cited", "matched", "closest")


@dataclass(frozen=True)
class StoredCitation:
    message_id: int
    number: int
    chunk_id: int | None  # None for a quoted passage (see QuotedPassage)
    how: str  # "cited", "matched" (by shared wording), or "closest" (shown with a "not found")


@dataclass(frozen=True)
class QuotedPassage:
    """A cited passage kept by its words, for a citation whose document is not stored here."""

    document_title: str
    text: str
    location: Location
    document_sha256: str | None = None  # lets a later export (and import) find the document again


@dataclass(frozen=True)
class CitedSource:
    """A citation with what the window shows and opens: its document, place and passage."""

    message_id: int
    number: int
    how: str
    chunk_id: int | None  # None when only the passage's words are kept (quoted)
    document_id: int | None
    document_title: str
    document_sha256: str | None
    location: Location
    text: str

    @property
    def label(self) -> str:
        return f"{self.document_title}, {self.location.label()}"

    @property
    def stored(self) -> bool:
        """Whether the cited document is in this database (so it can be opened whole)."""
        return self.chunk_id is not None


def insert_quoted_citation(db: sqlite_utils.Database, message_id: int, number: int, how: str,
                           quote: QuotedPassage) -> None:
    """Write one quoted citation inside the caller's transaction (an import writes a whole
    conversation in one)."""
    where = quote.location
    db.execute(
        "INSERT INTO message_citations (message_id, number, chunk_id, how, quoted_title, "
        "quoted_sha256, quoted_text, quoted_page, quoted_section, quoted_line, quoted_start_s, "
        "quoted_end_s) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [message_id, number, how, quote.document_title, quote.document_sha256, quote.text,
         where.page, where.section, where.line, where.start_s, where.end_s],
    )


def insert_chunk_citation(db: sqlite_utils.Database, message_id: int, number: int, chunk_id: int,
                          how: str) -> None:
    """Write one citation of a stored chunk inside the caller's transaction."""
    db.execute(
        "INSERT OR REPLACE INTO message_citations (message_id, number, chunk_id, how) "
        "VALUES (?, ?, ?, ?)",
        [message_id, number, chunk_id, how],
    )


SOURCE_COLUMNS = (
    "mc.message_id, mc.number, mc.how, c.id, c.document_id, d.title, d.sha256, c.text, "
    "c.page, c.section, c.line, c.start_s, c.end_s, "
    "mc.quoted_title, mc.quoted_sha256, mc.quoted_text, "
    "mc.quoted_page, mc.quoted_section, mc.quoted_line, mc.quoted_start_s, mc.quoted_end_s"
)


def source_from_row(row: Sequence) -> CitedSource:
    message_id, number, how, chunk_id = row[:4]
    if chunk_id is not None:
        return CitedSource(message_id, number, how, chunk_id, row[4], row[5], row[6],
                           Location(*row[8:13]), row[7])
    return CitedSource(message_id, number, how, None, None, row[13], row[14],
                       Location(*row[16:21]), row[15])


class CitationStore:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def add(self, message_id: int, citations: Iterable[tuple[int, int, str]]) -> None:
        """(number, chunk id, how) for one message, in one transaction."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            for number, chunk_id, how in citations:
                insert_chunk_citation(self.db, message_id, number, chunk_id, how)

    def for_message(self, message_id: int) -> list[StoredCitation]:
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT message_id, number, chunk_id, how FROM message_citations "
                "WHERE message_id = ? ORDER BY number",
                [message_id],
            ).fetchall()
        return [StoredCitation(*row) for row in rows]

    def sources(self, message_ids: Sequence[int]) -> list[CitedSource]:
        """The citations of these answers, by message and number: those of stored chunks with their
        document, and quoted ones with the passage they kept."""
        if not message_ids:
            return []
        marks = ", ".join("?" for _ in message_ids)
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {SOURCE_COLUMNS} FROM message_citations mc "
                "LEFT JOIN chunks c ON c.id = mc.chunk_id "
                "LEFT JOIN documents d ON d.id = c.document_id "
                f"WHERE mc.message_id IN ({marks}) AND (c.id IS NOT NULL OR mc.quoted_text IS NOT NULL) "
                "ORDER BY mc.message_id, mc.number",
                list(message_ids),
            ).fetchall()
        return [source_from_row(row) for row in rows]
