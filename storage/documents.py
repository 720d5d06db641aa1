"""Documents and their chunks: stored in one transaction (a crash or a cancelled import leaves
nothing half-written), found by BM25 over FTS5, counted in tokens per model, pinned to conversations.

Storage knows nothing of readers: a chunk arrives as a `NewChunk` with its location flattened into
plain columns (page, section, line, start/end time), so `media` can feed it without `storage`
importing `media`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlite_utils

from storage import crash_points
from storage.conversations import fts_query, now
from storage.database import database_file, translated_errors
from storage.document_removal import REMOVED_PROBLEM, ClearedContents, clear_contents
from storage.errors import ConversationNotFound, DocumentAlreadyStored, DocumentNotFound
from storage.locations import Location

DOCUMENT_COLUMNS = (
    "d.id, d.title, d.path, d.sha256, d.kind, d.size_bytes, d.char_count, d.chunk_count, d.created, "
    "d.page_count"
)
CHUNK_COLUMNS = (
    "c.id, c.document_id, c.ordinal, c.text, c.page, c.section, c.line, c.start_s, c.end_s, "
    "c.char_start"
)


@dataclass(frozen=True)
class Document:
    id: int
    title: str
    path: str | None
    sha256: str
    kind: str
    size_bytes: int | None
    char_count: int  # characters in the stored chunks
    chunk_count: int
    created: str
    page_count: int | None = None  # None where the reader knows no pages (text, audio)


@dataclass(frozen=True)
class RemovedDocument:
    """What went with a removed document, for the line that confirms it."""

    document: Document
    conversations: int  # it was pinned to this many
    quoted_citations: int  # citations that now keep the passage's words instead of a link
    state_files: list[str]  # saved model states whose rows went: delete_state_files() them

    def summary(self) -> str:
        """What went with it, for the line both the window and the command line print."""
        parts = [f"unpinned from {self.conversations} conversation(s)" if self.conversations else "",
                 f"{self.quoted_citations} citation(s) keep their passage's words"
                 if self.quoted_citations else "",
                 f"{len(self.state_files)} saved model state(s) deleted" if self.state_files else ""]
        return "; ".join(part for part in parts if part)


@dataclass(frozen=True)
class NewChunk:
    """A chunk on its way in; the store numbers chunks in the order they arrive."""

    text: str
    char_start: int  # offset of the chunk in the document's whole text
    page: int | None = None
    section: str | None = None
    line: int | None = None
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True)
class Chunk:
    id: int
    document_id: int
    ordinal: int  # 0-based, in document order
    text: str
    page: int | None
    section: str | None
    line: int | None
    start_s: float | None
    end_s: float | None
    char_start: int

    @property
    def location(self) -> Location:
        return Location(self.page, self.section, self.line, self.start_s, self.end_s)


@dataclass(frozen=True)
class ChunkHit:
    chunk: Chunk
    score: float  # BM25 relevance, higher is better (SQLite's bm25() negated)
    document_title: str


@dataclass
class Tally:
    chunks: int = 0
    chars: int = 0
    pages: int | None = None  # the highest page seen


def chunk_rows(document_id: int, chunks: Iterable[NewChunk], tally: Tally) -> Iterator[tuple]:
    for ordinal, chunk in enumerate(chunks):
        crash_points.reached("document.chunk")
        tally.chunks += 1
        tally.chars += len(chunk.text)
        if chunk.page is not None:
            tally.pages = max(tally.pages or 0, chunk.page)
        yield (document_id, ordinal, chunk.text, chunk.page, chunk.section, chunk.line,
               chunk.start_s, chunk.end_s, chunk.char_start)


def insert_chunks(db: sqlite_utils.Database, document_id: int, chunks: Iterable[NewChunk]) -> Tally:
    """Write a document's chunks and its counts, inside the caller's transaction."""
    tally = Tally()
    db.conn.executemany(
        "INSERT INTO chunks (document_id, ordinal, text, page, section, line, start_s, end_s, "
        "char_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        chunk_rows(document_id, chunks, tally),
    )
    db.execute(
        "UPDATE documents SET char_count = ?, chunk_count = ?, page_count = ? WHERE id = ?",
        [tally.chars, tally.chunks, tally.pages, document_id],
    )
    return tally


def insert_pin(db: sqlite_utils.Database, conversation_id: int, document_id: int) -> None:
    """Pin inside the caller's transaction (an import pins in the transaction that writes the
    conversation); pinning twice changes nothing."""
    db.execute(
        "INSERT OR IGNORE INTO conversation_documents (conversation_id, document_id, added) "
        "VALUES (?, ?, ?)",
        [conversation_id, document_id, now()],
    )


class DocumentStore:
    """Reads and writes documents; one store (one connection) per thread."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def add(self, title: str, path: str | None, sha256: str, kind: str, size_bytes: int | None,
            chunks: Iterable[NewChunk]) -> int:
        """Store a document and its chunks in one transaction, consuming `chunks` inside it.

        Anything `chunks` raises (a cancellation, a reader error) rolls everything back.
        """
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            existing = self.find_by_sha256(sha256)
            if existing is not None:
                raise DocumentAlreadyStored(existing.id)
            cursor = self.db.execute(
                "INSERT INTO documents (title, path, sha256, kind, size_bytes, char_count, "
                "chunk_count, created) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
                [title, path, sha256, kind, size_bytes, now()],
            )
            document_id = int(cursor.lastrowid)
            crash_points.reached("document.begun")
            tally = insert_chunks(self.db, document_id, chunks)
        crash_points.reached("document.committed", document_id=document_id, chunks=tally.chunks,
                             sha256=sha256)
        return document_id

    def find_by_sha256(self, sha256: str) -> Document | None:
        with translated_errors(self.path):
            row = self.db.execute(
                f"SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.sha256 = ?", [sha256]
            ).fetchone()
        return None if row is None else Document(*row)

    def get(self, document_id: int) -> Document:
        with translated_errors(self.path):
            row = self.db.execute(
                f"SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id = ?", [document_id]
            ).fetchone()
        if row is None:
            raise DocumentNotFound(document_id)
        return Document(*row)

    def list(self) -> list[Document]:
        """Every document, in the order they were added."""
        with translated_errors(self.path):
            rows = self.db.execute(f"SELECT {DOCUMENT_COLUMNS} FROM documents d ORDER BY d.id")
            return [Document(*row) for row in rows.fetchall()]

    def remove(self, document_id: int) -> RemovedDocument:
        """Delete a document with its chunks, their index rows, token counts, pins, the saved model
        states that hold it (their rows; the caller deletes the files after this commits, with
        `delete_state_files`) and its place in a watched folder's record. Answers that cited it
        keep their text, and each citation keeps the passage's words, place and title (a quoted
        citation, as an imported answer has), so the sources still show."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            document = self.get(document_id)
            used_in = self.db.execute(
                "SELECT COUNT(*) FROM conversation_documents WHERE document_id = ?", [document_id]
            ).fetchone()[0]
            contents = clear_contents(self.db, document_id)
            self.db.execute("DELETE FROM conversation_documents WHERE document_id = ?", [document_id])
            self.db.execute("UPDATE folder_files SET document_id = NULL, problem = ? "
                            "WHERE document_id = ?", [REMOVED_PROBLEM, document_id])
            self.db.execute("DELETE FROM documents WHERE id = ?", [document_id])
            crash_points.reached("document.removing")
        crash_points.reached("document.removed", document_id=document_id)
        return RemovedDocument(document, int(used_in), contents.quoted_citations,
                               contents.state_files)

    def replace_contents(self, document_id: int, title: str, sha256: str, kind: str,
                         size_bytes: int | None, chunks: Iterable[NewChunk]) -> ClearedContents:
        """Read again: the same document (id, pins, place in the library) with new chunks, in one
        transaction that consumes `chunks`; anything they raise leaves the old ones. The old
        chunks' citations become quoted (their words kept), their token counts and the saved
        states that hold the document go (the caller deletes the state files after the commit).
        Raises DocumentAlreadyStored when the new bytes are another stored document's."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.get(document_id)
            other = self.find_by_sha256(sha256)
            if other is not None and other.id != document_id:
                raise DocumentAlreadyStored(other.id)
            contents = clear_contents(self.db, document_id)
            self.db.execute(
                "UPDATE documents SET title = ?, sha256 = ?, kind = ?, size_bytes = ? WHERE id = ?",
                [title, sha256, kind, size_bytes, document_id],
            )
            insert_chunks(self.db, document_id, chunks)
        return contents

    def chunks(self, document_id: int) -> list[Chunk]:
        self.get(document_id)
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.document_id = ? ORDER BY c.ordinal",
                [document_id],
            ).fetchall()
        return [Chunk(*row) for row in rows]

    def find_chunk(self, document_id: int, text: str) -> Chunk | None:
        """The first chunk of a document whose text is exactly `text`: how an imported citation
        finds its passage again when the same document is stored here."""
        with translated_errors(self.path):
            row = self.db.execute(
                f"SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.document_id = ? AND c.text = ? "
                "ORDER BY c.ordinal LIMIT 1",
                [document_id, text],
            ).fetchone()
        return None if row is None else Chunk(*row)

    def search(self, query: str, document_ids: Iterable[int] | None = None, limit: int = 8,
               any_word: bool = True) -> list[ChunkHit]:
        """Chunks matching `query`, best BM25 first, optionally only from some documents.

        A question's words are OR-ed by default (`any_word`): a passage need not contain "what"
        and "the" to answer it; pass False to require every word.
        """
        match = fts_query(query, any_word=any_word)
        ids = None if document_ids is None else [int(i) for i in document_ids]
        if not match or ids == []:
            return []
        where = "" if ids is None else f" AND c.document_id IN ({', '.join('?' * len(ids))})"
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {CHUNK_COLUMNS}, bm25(chunks_fts), d.title "
                "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
                "JOIN documents d ON d.id = c.document_id "
                f"WHERE chunks_fts MATCH ?{where} ORDER BY bm25(chunks_fts), c.id LIMIT ?",
                [match, *(ids or []), limit],
            ).fetchall()
        return [ChunkHit(Chunk(*row[:10]), -row[10], row[11]) for row in rows]

    def set_token_count(self, document_id: int, model_key: str, tokens: int) -> None:
        """Remember how many tokens the document is for one model (tokenizers differ)."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.get(document_id)
            self.db.execute(
                "INSERT INTO document_tokens (document_id, model_key, tokens) VALUES (?, ?, ?) "
                "ON CONFLICT(document_id, model_key) DO UPDATE SET tokens = excluded.tokens",
                [document_id, model_key, tokens],
            )

    def token_count(self, document_id: int, model_key: str) -> int | None:
        with translated_errors(self.path):
            row = self.db.execute(
                "SELECT tokens FROM document_tokens WHERE document_id = ? AND model_key = ?",
                [document_id, model_key],
            ).fetchone()
        return None if row is None else int(row[0])

    def pin(self, conversation_id: int, document_id: int) -> None:
        """Keep a document with a conversation; pinning it twice changes nothing."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.get(document_id)
            known = self.db.execute(
                "SELECT 1 FROM conversations WHERE id = ?", [conversation_id]
            ).fetchone()
            if known is None:
                raise ConversationNotFound(conversation_id)
            insert_pin(self.db, conversation_id, document_id)

    def unpin(self, conversation_id: int, document_id: int) -> None:
        with translated_errors(self.path), self.db.conn:
            self.db.execute(
                "DELETE FROM conversation_documents WHERE conversation_id = ? AND document_id = ?",
                [conversation_id, document_id],
            )

    def pinned(self, conversation_id: int) -> list[Document]:
        """The documents pinned to a conversation, in the order they were pinned."""
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {DOCUMENT_COLUMNS} FROM conversation_documents p "
                "JOIN documents d ON d.id = p.document_id WHERE p.conversation_id = ? "
                "ORDER BY p.added, d.id",
                [conversation_id],
            ).fetchall()
        return [Document(*row) for row in rows]
