"""Noticing new files in the watched folders while the window is open: Qt's file-system watcher
(inotify, FSEvents or ReadDirectoryChangesW) on each folder and the subfolders the last scan walked,
its bursts of change signals (a copy of fifty files is fifty signals) gathered into one `changed`
after a quiet moment. It only says that something changed; the scan that reads the files runs as a
background task (LibraryController)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

QUIET_MS = 1500  # a burst of changes ends when nothing has changed for this long
MOST_FOLDERS = 1000  # each watched folder costs the system a watch (Linux allows 8K–1M per user)


class FolderWatcher(QObject):
    changed = Signal()  # something changed in a watched folder, then went quiet

    def __init__(self, parent: QObject | None = None, quiet_ms: int = QUIET_MS) -> None:
        super().__init__(parent)
        self.watcher = QFileSystemWatcher(self)
        self.quiet = QTimer(self, singleShot=True, interval=quiet_ms)
        self.quiet.timeout.connect(self.changed)
        self.watcher.directoryChanged.connect(lambda _path: self.quiet.start())

    def watch(self, folders: Iterable[str]) -> None:
        """Watch exactly these folders (the first MOST_FOLDERS of them)."""
        wanted = list(dict.fromkeys(folders))[:MOST_FOLDERS]
        current = self.watcher.directories()
        gone = [path for path in current if path not in wanted]
        if gone:
            self.watcher.removePaths(gone)
        new = [path for path in wanted if path not in current]
        if new:
            self.watcher.addPaths(new)  # a folder that is not there is skipped (Qt warns, once)

    def folders(self) -> list[str]:
        return list(self.watcher.directories())
