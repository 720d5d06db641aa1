"""Folders whose new files are read into the library on their own, and what a scan of them has seen.

A file is remembered by its path with the size and modification time it had when it was looked at,
and what became of it: the document it was stored as, or the one line that says why not. The scan
(media/folder_scan) reads a file again only when it has no record, or when its record holds no
document and the file has changed since: a document the person removed stays removed, and a file
that cannot be read is not tried at every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from storage.conversations import now
from storage.database import database_file, translated_errors
from storage.errors import WatchedFolderNotFound


@dataclass(frozen=True)
class WatchedFolder:
    id: int
    path: str
    added: str
    documents: int = 0  # files of it stored as documents


@dataclass(frozen=True)
class SeenFile:
    path: str
    size_bytes: int
    mtime_ns: int
    document_id: int | None
    problem: str | None

    def unchanged(self, size_bytes: int, mtime_ns: int) -> bool:
        return self.size_bytes == size_bytes and self.mtime_ns == mtime_ns


class WatchedFolders:
    """Reads and writes the watched folders; one per connection (per thread)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.path = database_file(db)

    def add(self, folder: Path) -> WatchedFolder:
        """Watch a folder (its absolute path); watching it twice changes nothing."""
        path = str(Path(folder).expanduser().resolve())
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT OR IGNORE INTO watched_folders (path, added) VALUES (?, ?)",
                            [path, now()])
        return self.get_by_path(path)

    def get_by_path(self, path: str) -> WatchedFolder:
        found = self.find(path)
        if found is None:
            raise WatchedFolderNotFound(path)
        return found

    def find(self, path: str) -> WatchedFolder | None:
        return next((f for f in self.list() if f.path == path), None)

    def list(self) -> list[WatchedFolder]:
        """The watched folders, in the order they were added, with how many documents each gave."""
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT w.id, w.path, w.added, COUNT(f.document_id) FROM watched_folders w "
                "LEFT JOIN folder_files f ON f.folder_id = w.id GROUP BY w.id ORDER BY w.id"
            ).fetchall()
        return [WatchedFolder(int(r[0]), r[1], r[2], int(r[3])) for r in rows]

    def remove(self, folder: int | str) -> WatchedFolder:
        """Stop watching a folder (by id or path); its documents stay in the library."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            known = next((f for f in self.list() if folder in (f.id, f.path)), None)
            if known is None and isinstance(folder, str):
                resolved = str(Path(folder).expanduser().resolve())
                known = next((f for f in self.list() if f.path == resolved), None)
            if known is None:
                raise WatchedFolderNotFound(folder)
            self.db.execute("DELETE FROM folder_files WHERE folder_id = ?", [known.id])
            self.db.execute("DELETE FROM watched_folders WHERE id = ?", [known.id])
        return known

    def seen(self, folder_id: int) -> dict[str, SeenFile]:
        """What the scans of a folder have seen, by path; a record whose document was removed
        holds no document."""
        with translated_errors(self.path):
            rows = self.db.execute(
                "SELECT f.path, f.size_bytes, f.mtime_ns, d.id, f.problem FROM folder_files f "
                "LEFT JOIN documents d ON d.id = f.document_id WHERE f.folder_id = ?",
                [folder_id],
            ).fetchall()
        return {row[0]: SeenFile(*row) for row in rows}

    def record(self, folder_id: int, path: str, size_bytes: int, mtime_ns: int,
               document_id: int | None, problem: str | None) -> None:
        """Remember what became of a file (its document, or why there is none)."""
        with translated_errors(self.path), self.db.conn:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO folder_files (path, folder_id, size_bytes, mtime_ns, document_id, "
                "problem, seen) SELECT ?, ?, ?, ?, (SELECT id FROM documents WHERE id = ?), ?, ? "
                "WHERE EXISTS (SELECT 1 FROM watched_folders WHERE id = ?) "
                "ON CONFLICT(path) DO UPDATE SET folder_id = excluded.folder_id, "
                "size_bytes = excluded.size_bytes, mtime_ns = excluded.mtime_ns, "
                "document_id = excluded.document_id, problem = excluded.problem, seen = excluded.seen",
                [path, folder_id, size_bytes, mtime_ns, document_id, problem, now(), folder_id],
            )
