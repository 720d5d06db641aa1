"""The index of saved model states (KV caches of prompt prefixes) kept as files in the user folder:
which file holds which prefix, how big it is, its checksum, and when it was last used, so that the
cache can be kept under a size cap by evicting the least recently used."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from storage.conversations import now
from storage.database import database_file, translated_errors


@dataclass(frozen=True)
class SavedState:
    key: str
    model_key: str
    n_tokens: int
    prefix_text_sha256: str
    file_name: str
    size_bytes: int
    checksum: str  # CRC-32 of the file, checked before every load
    last_used: str


class StateIndex:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def get(self, key: str) -> SavedState | None:
        with translated_errors(self.path):
            row = self.db.execute(
                "SELECT key, model_key, n_tokens, prefix_text_sha256, file_name, size_bytes, checksum, "
                "last_used "
                "FROM model_states WHERE key = ?",
                [key],
            ).fetchone()
        return SavedState(*row) if row else None

    def put(self, state: SavedState, document_ids: Iterable[int] = ()) -> None:
        """Index a saved state with the documents its prefix holds (removing or re-reading one of
        them drops the state); a document removed meanwhile is left out."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR REPLACE INTO model_states (key, model_key, n_tokens, prefix_text_sha256, "
                "file_name, size_bytes, checksum, created, last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [state.key, state.model_key, state.n_tokens, state.prefix_text_sha256,
                 state.file_name, state.size_bytes, state.checksum, now(), now()],
            )
            for document_id in document_ids:
                self.db.execute(
                    "INSERT OR IGNORE INTO model_state_documents (state_key, document_id) "
                    "SELECT ?, id FROM documents WHERE id = ?",
                    [state.key, int(document_id)],
                )

    def documents_of(self, key: str) -> list[int]:
        """The documents a saved state holds, as far as its save said."""
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT document_id FROM model_state_documents WHERE state_key = ? "
                "ORDER BY document_id", [key]
            ).fetchall()
        return [int(row[0]) for row in rows]

    def prefix_length(self, model_key: str, prefix_text_sha256: str) -> int | None:
        """How many tokens a saved prefix made from this text has, for this model."""
        with translated_errors(self.path):
            row = self.db.execute(
                "SELECT n_tokens FROM model_states WHERE model_key = ? AND prefix_text_sha256 = ? "
                "ORDER BY last_used DESC LIMIT 1",
                [model_key, prefix_text_sha256],
            ).fetchone()
        return None if row is None else int(row[0])

    def touch(self, key: str) -> None:
        with translated_errors(self.path), self.db.conn:
            self.db.execute("UPDATE model_states SET last_used = ? WHERE key = ?", [now(), key])

    def remove(self, key: str) -> None:
        with translated_errors(self.path), self.db.conn:
            self.db.execute("DELETE FROM model_states WHERE key = ?", [key])

    def oldest_first(self) -> list[SavedState]:
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT key, model_key, n_tokens, prefix_text_sha256, file_name, size_bytes, checksum, "
                "last_used "
                "FROM model_states ORDER BY last_used"
            ).fetchall()
        return [SavedState(*row) for row in rows]

    def total_bytes(self) -> int:
        with translated_errors(self.path):
            return int(self.db.execute(
                "SELECT COALESCE(SUM(size_bytes), 0) FROM model_states"
            ).fetchone()[0])
