"""The index of saved model states (KV caches of prompt prefixes) kept as files in the user folder:
which file holds which prefix, how big it is, its checksum, and when it was last used, so that the
cache can be kept under a size cap by evicting the least recently used."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.conversations import now
from storage.database import database_file, translated_errors


@dataclass(frozen=True)
class SavedState:
    key: str
    model_key: str
    n_tokens: int
    file_name: str
    size_bytes: int
    sha256: str
    last_used: str


class StateIndex:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def get(self, key: str) -> SavedState | None:
        with translated_errors(self.path):
            row = self.db.execute(
                "SELECT key, model_key, n_tokens, file_name, size_bytes, sha256, last_used "
                "FROM model_states WHERE key = ?",
                [key],
            ).fetchone()
        return SavedState(*row) if row else None

    def put(self, state: SavedState) -> None:
        with translated_errors(self.path), self.db.conn:
            self.db.execute(
                "INSERT OR REPLACE INTO model_states (key, model_key, n_tokens, file_name, "
                "size_bytes, sha256, created, last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [state.key, state.model_key, state.n_tokens, state.file_name, state.size_bytes,
                 state.sha256, now(), now()],
            )

    def touch(self, key: str) -> None:
        with translated_errors(self.path), self.db.conn:
            self.db.execute("UPDATE model_states SET last_used = ? WHERE key = ?", [now(), key])

    def remove(self, key: str) -> None:
        with translated_errors(self.path), self.db.conn:
            self.db.execute("DELETE FROM model_states WHERE key = ?", [key])

    def oldest_first(self) -> list[SavedState]:
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT key, model_key, n_tokens, file_name, size_bytes, sha256, last_used "
                "FROM model_states ORDER BY last_used"
            ).fetchall()
        return [SavedState(*row) for row in rows]

    def total_bytes(self) -> int:
        with translated_errors(self.path):
            return int(self.db.execute(
                "SELECT COALESCE(SUM(size_bytes), 0) FROM model_states"
            ).fetchone()[0])
