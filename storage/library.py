"""The document library: every stored document with what the library shows of it (type, size, pages,
date added, the conversations it is pinned to), and search over titles and contents that answers
with documents rather than passages.

A listing is two queries however many documents there are (the documents, and the conversations
they are pinned to); a search two more (the best matching passage of each document, and the snippets
of those passages); never one query per document.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlite_utils

from storage.conversations import fts_query
from storage.database import database_file, translated_errors
from storage.documents import DOCUMENT_COLUMNS, Document

SNIPPET_WORDS = 12
SEARCH_LIMIT = 200  # documents a search returns at most


@dataclass(frozen=True)
class UsedIn:
    conversation_id: int
    title: str


@dataclass(frozen=True)
class LibraryEntry:
    """A document as the library lists it; `snippet` is the best matching passage's words (with
    the matched words in [brackets]) when a search found it by its content."""

    document: Document
    conversations: tuple[UsedIn, ...] = ()
    snippet: str = ""

    @property
    def title_match(self) -> bool:
        return not self.snippet


@dataclass(frozen=True)
class RemovalCost:
    """What removing a document takes with it, for the question that confirms it."""

    document: Document
    conversations: tuple[UsedIn, ...]
    citations: int  # citations of its passages (they keep the passage's words)
    states: int  # saved model states that hold it


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Library:
    """Reads the library; one per connection (per thread)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def entries(self) -> list[LibraryEntry]:
        """Every document, newest first, with the conversations it is pinned to."""
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {DOCUMENT_COLUMNS} FROM documents d ORDER BY d.created DESC, d.id DESC"
            ).fetchall()
            used = self.used_in()
        return [LibraryEntry(document, used.get(document.id, ()))
                for document in (Document(*row) for row in rows)]

    def used_in(self, document_ids: list[int] | None = None) -> dict[int, tuple[UsedIn, ...]]:
        """For each document, the conversations it is pinned to (most recently updated first)."""
        where, values = "", []
        if document_ids is not None:
            if not document_ids:
                return {}
            where = f"WHERE p.document_id IN ({', '.join('?' * len(document_ids))}) "
            values = list(document_ids)
        rows = self.db.execute(
            "SELECT p.document_id, c.id, c.title FROM conversation_documents p "
            f"JOIN conversations c ON c.id = p.conversation_id {where}"
            "ORDER BY c.updated DESC, c.id DESC",
            values,
        ).fetchall()
        found: dict[int, list[UsedIn]] = defaultdict(list)
        for document_id, conversation_id, title in rows:
            found[int(document_id)].append(UsedIn(int(conversation_id), title or "Untitled"))
        return {key: tuple(value) for key, value in found.items()}

    def search(self, text: str, limit: int = SEARCH_LIMIT) -> list[LibraryEntry]:
        """Documents whose title holds `text` (first, newest first), then those whose content holds
        every word of it, best BM25 passage first, each with that passage's snippet."""
        text = " ".join(text.split())
        if not text:
            return self.entries()[:limit]
        with translated_errors(self.path):
            titled = [Document(*row) for row in self.db.execute(
                f"SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.title LIKE ? ESCAPE '\\' "
                "ORDER BY d.created DESC, d.id DESC LIMIT ?",
                [f"%{escape_like(text)}%", limit],
            ).fetchall()]
            found = self.content_matches(text, limit, {d.id for d in titled})
            documents = [*titled, *(document for document, _snippet in found)][:limit]
            used = self.used_in([d.id for d in documents])
        snippets = {document.id: snippet for document, snippet in found}
        return [LibraryEntry(d, used.get(d.id, ()), snippets.get(d.id, "")) for d in documents]

    def content_matches(self, text: str, limit: int, leave_out: set[int]) -> list[tuple[Document, str]]:
        """Documents with a passage holding every word (the last one as a prefix: results come as
        the person types), best passage first, and that passage's snippet. The snippets are made
        for the chosen passages alone, in a second query: a common word matches many passages."""
        match = fts_query(text)
        if not match:
            return []
        match += "*"
        # bm25() cannot be used inside a window or an aggregate: the hits are scored first, then the
        # best of each document is taken (SQLite fills a bare column from the row MIN() chose).
        rows = self.db.execute(
            "WITH hits AS MATERIALIZED (SELECT rowid AS chunk_id, bm25(chunks_fts) AS score "
            "FROM chunks_fts WHERE chunks_fts MATCH ?), "
            "best AS (SELECT c.document_id AS document_id, h.chunk_id AS chunk_id, "
            "MIN(h.score) AS score FROM hits h JOIN chunks c ON c.id = h.chunk_id "
            "GROUP BY c.document_id) "
            f"SELECT {DOCUMENT_COLUMNS}, best.chunk_id FROM best "
            "JOIN documents d ON d.id = best.document_id ORDER BY best.score, d.id LIMIT ?",
            [match, limit + len(leave_out)],
        ).fetchall()
        chosen = [(Document(*row[:-1]), int(row[-1])) for row in rows if row[0] not in leave_out]
        if not chosen:
            return []
        ids = [chunk_id for _document, chunk_id in chosen]
        snippets = dict(self.db.execute(
            f"SELECT rowid, snippet(chunks_fts, 0, '[', ']', '…', {SNIPPET_WORDS}) FROM chunks_fts "
            f"WHERE chunks_fts MATCH ? AND rowid IN ({', '.join('?' * len(ids))})",
            [match, *ids],
        ).fetchall())
        return [(document, " ".join(str(snippets.get(chunk_id, "")).split()))
                for document, chunk_id in chosen]

    def removal_cost(self, document: Document) -> RemovalCost:
        """What removing `document` would take with it."""
        with translated_errors(self.path):
            citations = self.db.execute(
                "SELECT COUNT(*) FROM message_citations mc JOIN chunks c ON c.id = mc.chunk_id "
                "WHERE c.document_id = ?", [document.id]
            ).fetchone()[0]
            states = self.db.execute(
                "SELECT COUNT(*) FROM model_state_documents WHERE document_id = ?", [document.id]
            ).fetchone()[0]
            used = self.used_in([document.id]).get(document.id, ())
        return RemovalCost(document, used, int(citations), int(states))
