"""The models a person has used, most recent first, for `longwit models` and the model picker."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.conversations import now
from storage.database import database_file, translated_errors


@dataclass(frozen=True)
class ModelUse:
    path: str
    name: str
    n_ctx: int | None
    last_used: str
    uses: int


class ModelUseLog:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def record(self, path: str, name: str, n_ctx: int | None) -> None:
        with translated_errors(self.path), self.db.conn:
            self.db.execute(
                "INSERT INTO model_uses (path, name, n_ctx, last_used, uses) VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT(path) DO UPDATE SET name = excluded.name, n_ctx = excluded.n_ctx, "
                "last_used = excluded.last_used, uses = uses + 1",
                [path, name, n_ctx, now()],
            )

    def recent(self, limit: int = 10) -> list[ModelUse]:
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT path, name, n_ctx, last_used, uses FROM model_uses "
                "ORDER BY last_used DESC LIMIT ?",
                [limit],
            ).fetchall()
        return [ModelUse(*row) for row in rows]
