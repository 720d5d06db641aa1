"""What may be recalled into a conversation: earlier messages and document passages that match a
question's words, found by BM25 over the FTS5 indexes that messages and chunks already have.

Each hit says where it came from (a message's conversation, title and date; a passage's document,
title and place), so the person can follow it back. What is eligible is decided here, in SQL:
messages of other conversations, and of this one only those before `earlier_than` (the turns that
have left the model's window: the visible ones are already in the prompt, the question among them);
passages of documents not pinned to this conversation (pinned ones are in the prompt already).
Whether a question needs recall, and how much fits, is the engine's business (engine/recall).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from storage.conversations import fts_query
from storage.database import database_file, translated_errors
from storage.documents import CHUNK_COLUMNS, Chunk, ChunkHit


@dataclass(frozen=True)
class MessageHit:
    """An earlier message that matches a question, with where it was said."""

    message_id: int
    conversation_id: int
    conversation_title: str
    role: str  # "user" or "assistant"
    content: str
    created: str
    score: float  # BM25 relevance, higher is better (SQLite's bm25() negated)
    spoken: bool  # said aloud in a voice call (it has word timings)


class RecallIndex:
    """Searches the person's earlier messages and documents; one per connection (per thread)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def messages(self, words: Iterable[str], conversation_id: int, earlier_than: int = 0,
                 limit: int = 20) -> list[MessageHit]:
        """User and assistant messages sharing any of `words`, best BM25 first (the newer on a tie),
        from other conversations, and from `conversation_id` only below message id `earlier_than`."""
        match = fts_query(" ".join(words), any_word=True)
        if not match:
            return []
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT m.id, m.conversation_id, c.title, m.role, m.content, m.created, "
                "-bm25(messages_fts), "
                "EXISTS (SELECT 1 FROM word_timings w WHERE w.message_id = m.id) "
                "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                "JOIN conversations c ON c.id = m.conversation_id "
                "WHERE messages_fts MATCH ? AND m.role IN ('user', 'assistant') "
                "AND (m.conversation_id != ? OR m.id < ?) "
                "ORDER BY bm25(messages_fts), m.id DESC LIMIT ?",
                [match, conversation_id, earlier_than, limit],
            ).fetchall()
        return [MessageHit(*row[:7], bool(row[7])) for row in rows]

    def passages(self, words: Iterable[str], conversation_id: int, limit: int = 20) -> list[ChunkHit]:
        """Document chunks sharing any of `words`, best BM25 first, from documents not pinned to
        `conversation_id`."""
        match = fts_query(" ".join(words), any_word=True)
        if not match:
            return []
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {CHUNK_COLUMNS}, bm25(chunks_fts), d.title "
                "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
                "JOIN documents d ON d.id = c.document_id "
                "WHERE chunks_fts MATCH ? AND c.document_id NOT IN "
                "(SELECT document_id FROM conversation_documents WHERE conversation_id = ?) "
                "ORDER BY bm25(chunks_fts), c.id LIMIT ?",
                [match, conversation_id, limit],
            ).fetchall()
        return [ChunkHit(Chunk(*row[:10]), -row[10], row[11]) for row in rows]
