"""The document library's work, off the GUI thread: listing and searching on the window's
DatabaseThread, removing a document there too (its state files deleted after the commit), reading
one again and scanning the watched folders as background tasks with progress and cancel (each task
opens its own connection and closes it when it ends), and watching the folders for new files.

One task at a time: a scan asked for while one runs follows it, and a scan that met a file still
being written scans again once it has settled. Removing or reading a document again changes what a
conversation's model has read, so it waits while an answer is being written (`guard`) and says so
(`documents_changed` then lets the window read the open conversation's documents again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import sqlite_utils
from PySide6.QtCore import QObject, QTimer, Signal

from desktop.diagnostics.error_report import error_message
from desktop.window.background import BackgroundTask, Progress, TaskRunner
from desktop.window.database_thread import DatabaseThread
from desktop.window.folder_watch import FolderWatcher
from media.errors import ReadCancelled
from media.folder_scan import SETTLE_S, FolderScan, scan_watched_folders
from media.reread import Reread, reread_document
from storage import DocumentStore
from storage.document_removal import delete_state_files, sweep_orphan_state_files
from storage.documents import RemovedDocument
from storage.library import Library, LibraryEntry, RemovalCost
from storage.watched_folders import WatchedFolder, WatchedFolders

SETTLED_RESCAN_MS = int(SETTLE_S * 1000) + 500


def removal_line(removed: RemovedDocument) -> str:
    said = removed.summary()
    return f"Removed “{removed.document.title}”" + (f" ({said})." if said else ".")


class LibraryController(QObject):
    listed = Signal(str, object)  # the search text, list[LibraryEntry]
    folders_listed = Signal(object)  # list[WatchedFolder]
    progress = Signal(float, str)  # share done (-1: not known), what is happening
    idle = Signal()  # the task ended (done, failed or cancelled)
    notice = Signal(str, str)  # message, kind ("info", "warning", "error")
    documents_changed = Signal(int)  # a document was removed or read again

    def __init__(self, database: Path, db_thread: DatabaseThread, runner: TaskRunner, states: Path,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database, self.db_thread, self.runner, self.states = database, db_thread, runner, states
        self.task: BackgroundTask | None = None
        self.scan_waiting = False
        self.guard: Callable[[], str | None] = lambda: None  # why a change must wait, or None
        self.watcher = FolderWatcher(self)
        self.watcher.changed.connect(self.scan)
        self.rescan = QTimer(self, singleShot=True, interval=SETTLED_RESCAN_MS)  # files settling
        self.rescan.timeout.connect(self.scan)
        self.searched = ""

    @property
    def busy(self) -> bool:
        return self.task is not None and self.task.running

    # Reading ---------------------------------------------------------------------------------

    def search(self, text: str = "") -> None:
        """The library's documents, or those matching `text` by title or content."""
        self.searched = text

        def found(entries: list[LibraryEntry]) -> None:
            self.listed.emit(text, entries)

        self.db_thread.run("reading the library", lambda db: Library(db).search(text), found)

    def refresh(self) -> None:
        self.search(self.searched)

    def removal_cost(self, document_id: int, then: Callable[[RemovalCost], None]) -> None:
        self.db_thread.run("reading what a removal takes", lambda db: Library(db).removal_cost(
            DocumentStore(db).get(document_id)), then)

    def list_folders(self, scan: bool = False) -> None:
        """The watched folders; with `scan`, then read what is new in them (at the window's start
        and when the library opens: what arrived while nobody watched). The file-system watcher is
        handed the folders each scan walked."""
        def listed(folders: list[WatchedFolder]) -> None:
            self.folders_listed.emit(folders)
            if scan and folders:
                self.scan()

        self.db_thread.run("reading the watched folders", lambda db: WatchedFolders(db).list(), listed)

    # Changing ----------------------------------------------------------------------------------

    def refused(self) -> bool:
        reason = self.guard()
        if reason is not None:
            self.notice.emit(reason, "warning")
        return reason is not None

    def remove(self, document_id: int) -> None:
        """Remove a document with what hangs on it; the state files go after the commit."""
        if self.refused():
            return

        def work(db: sqlite_utils.Database) -> RemovedDocument:
            removed = DocumentStore(db).remove(document_id)
            delete_state_files(self.states, removed.state_files)
            sweep_orphan_state_files(db, self.states)
            return removed

        def done(removed: RemovedDocument) -> None:
            self.notice.emit(removal_line(removed), "info")
            self.documents_changed.emit(document_id)
            self.refresh()
            self.list_folders()

        self.db_thread.run("removing a document", work, done,
                           lambda message: self.notice.emit(message, "error"))

    def reread(self, document_id: int) -> None:
        """Read a document again from its file, in the background."""
        if self.refused():
            return
        if self.busy:
            self.notice.emit("The library is busy reading; wait for it, or cancel it.", "warning")
            return

        def work(progress: Progress, cancel: threading.Event) -> Reread:
            return reread_document(document_id, self.database, self.states, progress=progress,
                                   cancel=cancel)

        def done(again: Reread) -> None:
            self._ended()
            self.notice.emit(again.line(), "info")
            self.documents_changed.emit(document_id)
            self.refresh()

        self.progress.emit(0.0, "Reading the document again…")
        def failed(error: BaseException) -> None:
            self._failed("Reading the document again was cancelled; the stored copy is kept as it "
                         "was." if isinstance(error, ReadCancelled) else error_message(error))

        self.task = self.runner.run("reread-document", work, on_done=done, on_failed=failed,
                                    on_progress=self.progress.emit)

    def add_folder(self, folder: Path) -> None:
        """Watch a folder and read what it holds."""
        def added(watched: WatchedFolder) -> None:
            self.notice.emit(f"Watching {watched.path}; its files are being read.", "info")
            self.list_folders()
            self.scan()

        self.db_thread.run("adding a watched folder", lambda db: WatchedFolders(db).add(folder), added,
                           lambda message: self.notice.emit(message, "error"))

    def remove_folder(self, folder_id: int) -> None:
        """Stop watching a folder; its documents stay."""
        def removed(watched: WatchedFolder) -> None:
            self.notice.emit(f"Stopped watching {watched.path}; its documents stay in the library.",
                             "info")
            self.list_folders()
            self.scan()  # hands the watcher the folders still watched

        self.db_thread.run("removing a watched folder",
                           lambda db: WatchedFolders(db).remove(folder_id), removed,
                           lambda message: self.notice.emit(message, "error"))

    def scan(self) -> None:
        """Read the watched folders' new files in the background (after the task under way)."""
        if self.busy:
            self.scan_waiting = True
            return
        self.scan_waiting = False

        def work(progress: Progress, cancel: threading.Event) -> FolderScan:
            return scan_watched_folders(self.database, progress=progress, cancel=cancel)

        self.task = self.runner.run("scan-folders", work, on_done=self._scanned,
                                    on_failed=lambda error: self._failed(error_message(error)),
                                    on_progress=self.progress.emit)

    def cancel(self) -> None:
        self.scan_waiting = False
        if self.task is not None:
            self.task.cancel()

    def _scanned(self, scan: FolderScan) -> None:
        self.watcher.watch(scan.folders)
        self._ended()
        for line in scan.lines():
            kind = "info" if line.startswith("Added") else "warning"
            self.notice.emit(line, kind)
        if scan.added:
            self.refresh()
            self.list_folders()
        if scan.settling:
            self.rescan.start()

    def _failed(self, message: str) -> None:
        self._ended()
        self.notice.emit(message, "error")

    def _ended(self) -> None:
        self.task = None
        self.idle.emit()
        if self.scan_waiting:
            self.scan()
