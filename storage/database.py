"""Opening the database: WAL mode, foreign keys, a busy timeout, migrations, and errors for people."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from storage.errors import DatabaseLocked, DatabaseReadOnly, DatabaseUnusable, StorageError
from storage.migrations import apply_migrations
from storage.paths import database_path, private_file, private_folder

DEFAULT_BUSY_TIMEOUT_S = 5.0


@contextmanager
def translated_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's terse errors into StorageErrors that say which file and what to do."""
    try:
        yield
    except StorageError:
        raise
    except sqlite3.OperationalError as error:
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseLocked(path) from error
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            raise DatabaseReadOnly(path) from error
        raise DatabaseUnusable(path, str(error)) from error
    except sqlite3.DatabaseError as error:
        raise DatabaseUnusable(path, str(error)) from error


def database_file(db: sqlite_utils.Database) -> Path:
    """The file behind a connection, for error messages."""
    return Path(db.conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:")


def open_database(
    path: Path | None = None, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
) -> sqlite_utils.Database:
    """Open (creating if needed) the database and bring its schema up to date.

    One connection belongs to one thread: open another for another thread.
    """
    path = Path(path) if path is not None else database_path()
    with translated_errors(path):
        try:
            private_folder(path.parent)
            private_file(path)
        except PermissionError as error:
            raise DatabaseReadOnly(path) from error
        connection = sqlite3.connect(
            str(path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=True
        )
        db = sqlite_utils.Database(connection)
        db.execute("PRAGMA foreign_keys = ON")
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        apply_migrations(db)
    return db
