"""Reading the new files of the watched folders: every supported file under each folder (hidden
files and folders skipped) that the scans have not seen, or that could not be read before and has
changed since, is ingested as a drop would be, and what became of it is recorded
(storage/watched_folders), so the next scan passes it by.

A file modified in the last SETTLE_S seconds may still be being copied: it is left for the next
scan, and the result says so (`settling`), so the caller can scan again shortly. The folders walked
come back too, for the window's file-system watcher.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from media.chunking import ChunkingOptions
from media.ingest import DEFAULT_CHUNKING, Progress, ingest_one, is_hidden, no_progress, store_for
from media.read_document import DEFAULT_LIMITS, SUPPORTED_SUFFIXES, ReadLimits
from storage import Document, DocumentStore
from storage.watched_folders import WatchedFolder, WatchedFolders

SETTLE_S = 2.0

logger = logging.getLogger(__name__)


@dataclass
class FolderScan:
    added: list[Document] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line per file that could not be read
    missing: list[str] = field(default_factory=list)  # watched folders that are not there now
    folders: list[str] = field(default_factory=list)  # every folder walked, to watch for changes
    settling: bool = False  # a file too new to read yet: scan again in a few seconds
    cancelled: bool = False

    def lines(self) -> list[str]:
        """What a person is told: what was added, what failed, which folders are gone."""
        found = [f"Added {len(self.added)} document{'s' * (len(self.added) != 1)} from watched "
                 "folders."] if self.added else []
        gone = [f"The watched folder {path} is not there; remove it from the library or bring it "
                "back." for path in self.missing]
        stopped = ["Reading the watched folders was cancelled; the files read before it are kept."
                   ] if self.cancelled else []
        return [*found, *self.failed, *gone, *stopped]


@dataclass(frozen=True)
class FileToRead:
    folder_id: int
    path: Path
    size_bytes: int
    mtime_ns: int


def walk(root: Path) -> tuple[list[Path], list[Path]]:
    """Supported files under `root` (sorted) and the folders walked, hidden ones skipped. Links to
    folders are not followed (os.walk's default) and a link to a file outside `root` is not read:
    a synced or unpacked folder must not bring in `notes.txt -> ~/.ssh/…`."""
    files, folders = [], []
    inside = root.resolve()
    for where, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not is_hidden(name))
        folders.append(Path(where))
        for name in names:
            path = Path(where, name)
            if is_hidden(name) or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if path.is_symlink() and not path.resolve().is_relative_to(inside):
                logger.info("a link in a watched folder leads outside it; not read")
                continue
            files.append(path)
    return sorted(files), folders


def files_to_read(watched: WatchedFolders, folder: WatchedFolder, scan: FolderScan,
                  settle_s: float) -> list[FileToRead]:
    root = Path(folder.path)
    if not root.is_dir():
        scan.missing.append(folder.path)
        return []
    files, folders = walk(root)
    scan.folders += [str(f) for f in folders]
    seen = watched.seen(folder.id)
    wanted, settled_before = [], time.time() - settle_s
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue  # gone since the walk
        record = seen.get(str(path))
        if record is not None and (record.document_id is not None
                                   or record.unchanged(stat.st_size, stat.st_mtime_ns)):
            continue
        if stat.st_mtime > settled_before:
            scan.settling = True
            continue
        wanted.append(FileToRead(folder.id, path, stat.st_size, stat.st_mtime_ns))
    return wanted


def scan_watched_folders(
    store: DocumentStore | Path | str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    chunking: ChunkingOptions = DEFAULT_CHUNKING,
    settle_s: float = SETTLE_S,
) -> FolderScan:
    """Ingest the watched folders' new files; progress is (share of the files to read, "name:
    what is happening"). A cancelled scan keeps the files read before it."""
    report, scan = progress or no_progress, FolderScan()
    with store_for(store) as documents:
        watched = WatchedFolders(documents.db)
        todo = [item for folder in watched.list()
                for item in files_to_read(watched, folder, scan, settle_s)]
        for index, item in enumerate(todo):
            def within(share: float, message: str, index: int = index, name: str = item.path.name) -> None:
                report((index + share) / len(todo), f"{name}: {message}")

            result = ingest_one(item.path, documents, limits, within, cancel, chunking)
            if result.status == "cancelled":
                scan.cancelled = True
                break
            document_id = result.document.id if result.ok and result.document else None
            watched.record(item.folder_id, str(item.path), item.size_bytes, item.mtime_ns,
                           document_id, None if result.ok else result.message)
            if result.status == "added" and result.document is not None:
                scan.added.append(result.document)
            elif not result.ok:
                scan.failed.append(result.message)
    return scan
