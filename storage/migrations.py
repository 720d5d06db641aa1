"""Numbered schema migrations; `PRAGMA user_version` records how many have been applied.

Each migration is a small function that takes the database and changes its schema. They run in one
transaction each, so a crash in the middle of an upgrade leaves the previous schema intact.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def m001_initial(db: sqlite_utils.Database) -> None:
    """Conversations, their messages with timings, full-text search over messages, models used."""
    db["conversations"].create(
        {"id": int, "title": str, "model": str, "created": str, "updated": str},
        pk="id",
        not_null={"created", "updated"},
    )
    db["messages"].create(
        {
            "id": int,
            "conversation_id": int,
            "role": str,
            "content": str,
            "model": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "ttft_s": float,
            "tokens_per_s": float,
            "duration_s": float,
            "cut": int,
            "created": str,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null={"conversation_id", "role", "content", "created"},
        defaults={"cut": 0},
    )
    # sqlite-utils declares the foreign key without ON DELETE; deleting a conversation deletes its
    # messages explicitly in ConversationStore.delete, inside one transaction.
    db["messages"].create_index(["conversation_id", "id"])
    # FTS by hand rather than enable_fts(): that uses executescript(), which commits the migration's
    # transaction half-way.
    db.execute(
        "CREATE VIRTUAL TABLE messages_fts USING fts5("
        "content, content='messages', content_rowid='id', tokenize='porter unicode61')"
    )
    db.execute(
        "CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN "
        "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END"
    )
    db.execute(
        "CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content); "
        "END"
    )
    db.execute(
        "CREATE TRIGGER messages_au AFTER UPDATE ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content); "
        "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END"
    )
    db["model_uses"].create(
        {"path": str, "name": str, "n_ctx": int, "last_used": str, "uses": int},
        pk="path",
        not_null={"last_used"},
        defaults={"uses": 0},
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [m001_initial]


def apply_migrations(db: sqlite_utils.Database) -> int:
    """Bring the schema up to date; returns the schema version now in force."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
        with db.conn:
            db.execute("BEGIN IMMEDIATE")
            # Another process may have migrated while we waited for the write lock.
            if db.execute("PRAGMA user_version").fetchone()[0] >= number:
                continue
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)
