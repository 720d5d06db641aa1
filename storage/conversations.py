"""Conversations and their messages: every finished (or cut) message is committed as it completes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from storage import crash_points
from storage.database import database_file, translated_errors
from storage.errors import ConversationNotFound
from storage.word_timings import WordTiming, insert_word_timings

TITLE_LENGTH = 60
# Timestamps can tie within a clock tick; the newest message id breaks the tie.
MOST_RECENT_FIRST = "c.updated DESC, COALESCE(MAX(m.id), 0) DESC, c.id DESC"
PREVIEW_CHARS = 200  # enough for one line of the list; the rest of a long answer stays in the file
# The conversation's columns with its message count and the start of its last question or answer,
# read in the same statement as the list (the subquery walks the (conversation_id, id) index
# backwards), not one query per conversation.
CONVERSATION_COLUMNS = (
    "c.id, c.title, c.model, c.created, c.updated, COUNT(m.id), "
    f"COALESCE((SELECT substr(l.content, 1, {PREVIEW_CHARS}) FROM messages l "
    "WHERE l.conversation_id = c.id AND l.role IN ('user', 'assistant') "
    "ORDER BY l.id DESC LIMIT 1), '')"
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class MessageStats:
    """How a reply was produced; all optional because user messages have none."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    duration_s: float | None = None
    cached_tokens: int | None = None  # prompt tokens served by the KV cache, not read again


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str
    content: str
    model: str | None
    cut: bool
    created: str
    stats: MessageStats
    reasoning: str = ""  # a reasoning model's thinking before the answer; never sent back to it


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    model: str | None
    created: str
    updated: str
    message_count: int = 0
    preview: str = ""  # the start of the last question or answer, for the window's list


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    conversation_title: str
    message_id: int
    role: str
    snippet: str
    created: str


def fts_query(text: str, any_word: bool = False) -> str:
    """Quote each word so that user text is never read as FTS5 syntax (`AND`, `"`, `*`, `-`).

    Words must all match by default (searching history); with `any_word` they are OR-ed, which is
    what retrieval for a question needs: BM25 then ranks the passages sharing the rarest words first.
    """
    words = [word.replace('"', '""') for word in text.split()]
    return (" OR " if any_word else " ").join(f'"{word}"' for word in words if word)


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def insert_message(
    db: sqlite_utils.Database,
    conversation_id: int,
    role: str,
    content: str,
    *,
    model: str | None,
    stats: MessageStats | None,
    cut: bool,
    created: str,
    words: Sequence[WordTiming] = (),
    reasoning: str = "",
) -> int:
    """Write one message (and its words) inside the caller's transaction; `add_message` adds the
    conversation's bookkeeping, and an import writes many messages with their own times."""
    stats = stats or MessageStats()
    columns = ["conversation_id", "role", "content", "model", "prompt_tokens", "completion_tokens",
               "ttft_s", "tokens_per_s", "duration_s", "cached_tokens", "cut", "created"]
    values = [conversation_id, role, content, model, stats.prompt_tokens, stats.completion_tokens,
              stats.ttft_s, stats.tokens_per_s, stats.duration_s, stats.cached_tokens, int(cut), created]
    if reasoning:  # only a reasoning model's answers have it
        columns.append("reasoning")
        values.append(reasoning)
    cursor = db.execute(
        f"INSERT INTO messages ({', '.join(columns)}) VALUES ({', '.join('?' * len(values))})", values
    )
    message_id = int(cursor.lastrowid)
    if words:
        insert_word_timings(db, message_id, words)
    return message_id


def insert_conversation(db: sqlite_utils.Database, title: str, model: str | None, created: str,
                        updated: str) -> int:
    """Write one conversation row inside the caller's transaction."""
    cursor = db.execute(
        "INSERT INTO conversations (title, model, created, updated) VALUES (?, ?, ?, ?)",
        [title_from(title), model, created, updated],
    )
    return int(cursor.lastrowid)


class ConversationStore:
    """Reads and writes conversations; one store (one connection) per thread."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def create(self, title: str = "", model: str | None = None) -> int:
        stamp = now()
        with translated_errors(self.path), self.db.conn:
            return insert_conversation(self.db, title, model, stamp, stamp)

    def get(self, conversation_id: int) -> Conversation:
        with translated_errors(self.path):
            row = self.db.execute(
                f"SELECT {CONVERSATION_COLUMNS} "
                "FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id "
                "WHERE c.id = ? GROUP BY c.id",
                [conversation_id],
            ).fetchone()
        if row is None:
            raise ConversationNotFound(conversation_id)
        return Conversation(*row)

    def latest_id(self) -> int | None:
        with translated_errors(self.path):
            row = self.db.execute(
                "SELECT c.id FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id "
                f"GROUP BY c.id ORDER BY {MOST_RECENT_FIRST} LIMIT 1"
            ).fetchone()
        return None if row is None else int(row[0])

    def list(self, limit: int = 50) -> list[Conversation]:
        with translated_errors(self.path):
            rows = self.db.execute(
                f"SELECT {CONVERSATION_COLUMNS} "
                "FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id "
                f"GROUP BY c.id ORDER BY {MOST_RECENT_FIRST} LIMIT ?",
                [limit],
            ).fetchall()
        return [Conversation(*row) for row in rows]

    def rename(self, conversation_id: int, title: str) -> None:
        self.get(conversation_id)
        with translated_errors(self.path), self.db.conn:
            self.db.execute(
                "UPDATE conversations SET title = ?, updated = ? WHERE id = ?",
                [title_from(title), now(), conversation_id],
            )

    def recall_enabled(self, conversation_id: int) -> bool:
        """Whether earlier conversations and documents may be recalled into this one (on unless
        the person turned it off)."""
        with translated_errors(self.path):
            row = self.db.execute(
                "SELECT recall FROM conversations WHERE id = ?", [conversation_id]
            ).fetchone()
        if row is None:
            raise ConversationNotFound(conversation_id)
        return bool(row[0])

    def set_recall(self, conversation_id: int, enabled: bool) -> None:
        """Turn recall into this conversation on or off; kept until changed again."""
        self.get(conversation_id)
        with translated_errors(self.path), self.db.conn:
            self.db.execute(
                "UPDATE conversations SET recall = ? WHERE id = ?", [int(enabled), conversation_id]
            )

    def delete(self, conversation_id: int) -> None:
        self.get(conversation_id)
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "DELETE FROM message_citations WHERE message_id IN "
                "(SELECT id FROM messages WHERE conversation_id = ?)",
                [conversation_id],
            )
            self.db.execute("DELETE FROM messages WHERE conversation_id = ?", [conversation_id])
            self.db.execute(
                "DELETE FROM conversation_documents WHERE conversation_id = ?", [conversation_id]
            )
            self.db.execute("DELETE FROM conversations WHERE id = ?", [conversation_id])

    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        model: str | None = None,
        stats: MessageStats | None = None,
        cut: bool = False,
        words: Sequence[WordTiming] = (),
        reasoning: str = "",
    ) -> int:
        """Commit one message and touch its conversation, in one transaction; a spoken message's
        `words` (when each was said) are committed with it, a reasoning model's thinking too."""
        stamp = now()
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            title = self.db.execute(
                "SELECT title FROM conversations WHERE id = ?", [conversation_id]
            ).fetchone()
            if title is None:
                raise ConversationNotFound(conversation_id)
            message_id = insert_message(
                self.db, conversation_id, role, content, model=model, stats=stats, cut=cut,
                created=stamp, words=words, reasoning=reasoning,
            )
            new_title = title[0] or (title_from(content) if role == "user" else "")
            self.db.execute(
                "UPDATE conversations SET updated = ?, title = ?, model = COALESCE(?, model) "
                "WHERE id = ?",
                [stamp, new_title, model, conversation_id],
            )
            crash_points.reached("message.written")
        crash_points.reached("message.committed", message_id=message_id, role=role, content=content,
                             words=len(words))
        return message_id

    def replace_message(self, message_id: int, content: str, cut: bool) -> None:
        """Correct a saved message: a spoken answer interrupted part-way keeps only what was heard."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute(
                "UPDATE messages SET content = ?, cut = ? WHERE id = ?", [content, int(cut), message_id]
            )
        crash_points.reached("message.replaced", message_id=message_id, content=content)

    def delete_from(self, message_id: int) -> list[Message]:
        """Delete a message and every later one in its conversation, in one transaction, and return
        them: editing the last question or regenerating the last answer starts again from there, and
        a voice turn answered at a pause the person talked through is taken back. A memory proposed
        from one of them and not yet answered goes too: it was heard in words that are no longer
        there (one the person accepted stays, unlinked)."""
        with translated_errors(self.path):
            row = self.db.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", [message_id]
            ).fetchone()
        if row is None:
            return []
        removed = [m for m in self.messages(row[0]) if m.id >= message_id]
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            ids = [m.id for m in removed]
            marks = ", ".join("?" for _ in ids)
            self.db.execute(f"DELETE FROM message_citations WHERE message_id IN ({marks})", ids)
            self.db.execute(f"DELETE FROM memories WHERE status = 'proposed' AND source_message_id "
                            f"IN ({marks})", ids)
            self.db.execute(f"DELETE FROM messages WHERE id IN ({marks})", ids)
            self.db.execute("UPDATE conversations SET updated = ? WHERE id = ?", [now(), row[0]])
        crash_points.reached("messages.deleted", message_ids=ids)
        return removed

    def messages(self, conversation_id: int) -> list[Message]:
        self.get(conversation_id)
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT id, conversation_id, role, content, model, cut, created, prompt_tokens, "
                "completion_tokens, ttft_s, tokens_per_s, duration_s, cached_tokens, reasoning "
                "FROM messages WHERE conversation_id = ? ORDER BY id",
                [conversation_id],
            ).fetchall()
        return [
            Message(*row[:5], bool(row[5]), row[6], MessageStats(*row[7:13]), row[13] or "")
            for row in rows
        ]

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Full-text search over every message, best matches first."""
        query = fts_query(text)
        if not query:
            return []
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT m.conversation_id, c.title, m.id, m.role, "
                "snippet(messages_fts, 0, '[', ']', '…', 12), m.created "
                "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                "JOIN conversations c ON c.id = m.conversation_id "
                "WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?",
                [query, limit],
            ).fetchall()
        return [SearchHit(*row) for row in rows]
