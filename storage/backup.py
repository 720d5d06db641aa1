"""A consistent copy of the database while Longwit runs (`longwit backup PATH`).

SQLite's online backup API copies the database a few pages at a time under a read lock and starts
over if another connection writes between steps, so the copy is one committed state even while
the window or a voice call is writing; a WAL database's committed pages are included. The copy is
written beside the target under a temporary name, checked with `PRAGMA integrity_check`, made
readable by its owner only, and renamed into place: a backup is whole or absent, and never written
over an existing file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storage.errors import StorageError

PAGES_PER_STEP = 1024
Progress = Callable[[int, int], None]  # pages copied, pages in all


class BackupNotWritten(StorageError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"The backup could not be written to {path} ({reason}); choose a new file "
                         "name in a folder you can write to, with room on its disk.")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    pages: int


def backup_target(target: Path, database: Path) -> Path:
    """A folder given as the target gets a file named after the database."""
    return target / database.name if target.is_dir() else target


def backup_database(database: Path, target: Path, progress: Progress | None = None,
                    pages_per_step: int = PAGES_PER_STEP) -> BackupResult:
    """Copy `database` to `target` (a new file, or a folder to put it in) as one committed state."""
    if not database.is_file():
        raise BackupNotWritten(target, f"there is no database at {database} yet")
    path = backup_target(target, database)
    if path.exists():
        raise BackupNotWritten(path, "a file of that name exists; a backup never replaces one")
    partial = path.with_name(f".{path.name}.partial")
    source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=pages_per_step,
                          progress=(lambda _status, left, total: progress(total - left, total))
                          if progress else None)
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        if verdict != "ok":
            raise BackupNotWritten(path, f"the copy failed SQLite's integrity check: {verdict}")
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except sqlite3.Error as error:
        raise BackupNotWritten(path, str(error)) from error
    except OSError as error:
        raise BackupNotWritten(path, error.strerror or str(error)) from error
    finally:
        source.close()
        with contextlib.suppress(OSError):
            partial.unlink()
    return BackupResult(path, path.stat().st_size, pages)
