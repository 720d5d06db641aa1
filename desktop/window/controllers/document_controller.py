"""Adding documents to a conversation from the window: read them off the GUI thread with progress
and cancel, pin them to the conversation, then have the model pre-fill them.

A drop of a folder with thousands of files does not start thousands of reads: the first
MAX_FILES_PER_DROP are added and the person is told how many were left and how to add them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.diagnostics.error_report import error_message
from desktop.window.background import BackgroundTask, Progress, TaskRunner
from media.ingest import expand_paths, ingest_paths
from storage import DocumentStore, open_database

MAX_FILES_PER_DROP = 200


@dataclass(frozen=True)
class AddedDocuments:
    conversation_id: int
    added: list[int] = field(default_factory=list)  # document ids now pinned
    failed: list[str] = field(default_factory=list)  # one line per file that could not be read
    left_out: int = 0  # files beyond MAX_FILES_PER_DROP
    cancelled: bool = False


class DocumentController(QObject):
    progress = Signal(int, float, str)  # conversation id, share done, what is happening
    file_progress = Signal(int, str, float)  # conversation id, file name, share of that file read
    finished = Signal(object)  # AddedDocuments
    failed = Signal(int, str)

    def __init__(self, database: Path, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database, self.runner = database, runner
        self.task: BackgroundTask | None = None

    @property
    def busy(self) -> bool:
        return self.task is not None and self.task.running

    def add(self, conversation_id: int, paths: Sequence[Path]) -> None:
        def work(progress: Progress, cancel: threading.Event) -> AddedDocuments:
            return self._read(conversation_id, list(paths), progress, cancel)

        self.task = self.runner.run(
            "read-documents", work, on_done=self.finished.emit,
            on_failed=lambda error: self.failed.emit(conversation_id, error_message(error)),
            on_progress=lambda share, message: self.progress.emit(conversation_id, share, message),
        )

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _read(self, conversation_id: int, paths: list[Path], progress: Progress,
              cancel: threading.Event) -> AddedDocuments:
        progress(0.0, "Looking at the files…")
        files, empty = expand_paths(paths)
        documents = DocumentStore(open_database(self.database))  # the task's own, closed at its end
        try:
            return self._ingest(conversation_id, files, empty, documents, progress, cancel)
        finally:
            documents.db.conn.close()

    def _ingest(self, conversation_id: int, files: list[Path], empty: list[Path],
                documents: DocumentStore, progress: Progress,
                cancel: threading.Event) -> AddedDocuments:
        left_out = max(0, len(files) - MAX_FILES_PER_DROP)
        result = AddedDocuments(conversation_id, left_out=left_out)
        chosen = [*files[:MAX_FILES_PER_DROP], *empty]
        count = max(1, min(len(files), MAX_FILES_PER_DROP))

        def each_file(share: float, message: str) -> None:
            """The batch's share, and the share of the file being read (ingest_paths reports
            (index + share of file) / count)."""
            progress(share, message)
            index = min(int(share * count), count - 1)
            if index < len(chosen):
                self.relay_file(conversation_id, chosen[index].name, share * count - index)

        for outcome in ingest_paths(chosen, documents, progress=each_file, cancel=cancel):
            if outcome.status == "cancelled":
                return AddedDocuments(conversation_id, result.added, result.failed, left_out, True)
            if outcome.ok and outcome.document is not None:
                documents.pin(conversation_id, outcome.document.id)
                result.added.append(outcome.document.id)
            else:
                result.failed.append(outcome.message)
        return result

    def relay_file(self, conversation_id: int, name: str, share: float) -> None:
        self.runner.relay.post(self.file_progress.emit, conversation_id, name, min(1.0, share))
