"""Settings kept in the database, so that the command line and the engine see the same choice as
the window (which keeps its own look and feel in QSettings): a small table of text values by key."""

from __future__ import annotations

import sqlite_utils

from storage.conversations import now
from storage.database import database_file, translated_errors


class SettingsStore:
    """Reads and writes settings; one per connection (per thread), like the other stores."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def get(self, key: str) -> str | None:
        """The value stored for `key`; None when it was never set (the caller's default applies)."""
        with translated_errors(self.path):
            row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        with translated_errors(self.path), self.db.conn:
            self.db.execute(
                "INSERT INTO settings (key, value, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                [key, value, now()],
            )

    def clear(self, key: str) -> None:
        """Forget the value for `key`, so the caller's default applies again."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("DELETE FROM settings WHERE key = ?", [key])
