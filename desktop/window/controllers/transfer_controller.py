"""Exporting the open conversation to a file and importing one, from the window: the file dialogs'
choices become a path and a format here, and the reading, writing and SQL run off the GUI thread
through the TaskRunner, each on a connection of its own (one connection per thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlite_utils
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop.diagnostics.error_report import error_message
from desktop.window.background import BackgroundTask, Progress, TaskRunner
from storage import open_database
from storage.conversation_export import SUFFIX_FORMATS, ExportedFile, export_conversation
from storage.conversation_import import ImportedConversation, import_file

# The save dialog's filters; the one chosen decides the format.
EXPORT_FILTERS = {"Markdown, to read (*.md)": "markdown", "JSON, to import again (*.json)": "json"}
FORMAT_SUFFIXES = {"markdown": ".md", "json": ".json"}
IMPORT_FILTER = "Longwit conversation (*.json);;All files (*)"
Result = TypeVar("Result")


def export_target(chosen: str, name_filter: str) -> tuple[Path, str]:
    """The path and format for what the save dialog returned: a name typed with a known suffix
    keeps it and its format; otherwise the chosen filter decides and its suffix is added (the
    dialog suggests a name without one, so that switching the filter is enough)."""
    path = Path(chosen)
    named = SUFFIX_FORMATS.get(path.suffix.lower())
    if named is not None:
        return path, named
    format_ = EXPORT_FILTERS.get(name_filter, "markdown")
    return path.with_name(path.name + FORMAT_SUFFIXES[format_]), format_


def suggested_export_name(title: str) -> str:
    """The file name offered for a conversation's export: its title's letters, digits, spaces,
    dashes and underscores only, so a title such as "../../.bashrc" names no other folder."""
    return "".join(c for c in title if c.isalnum() or c in " -_").strip()[:100] or "conversation"


def ask_export_target(parent: QWidget, title: str) -> tuple[Path, str] | None:
    chosen, name_filter = QFileDialog.getSaveFileName(
        parent, "Export conversation", suggested_export_name(title), ";;".join(EXPORT_FILTERS))
    return export_target(chosen, name_filter) if chosen else None


def ask_import_path(parent: QWidget) -> Path | None:
    chosen, _ = QFileDialog.getOpenFileName(parent, "Import conversation", "", IMPORT_FILTER)
    return Path(chosen) if chosen else None


def export_notice(written: ExportedFile) -> str:
    return f"Exported “{written.title or 'the conversation'}” to {written.path}."


def import_notice(imported: ImportedConversation) -> str:
    quoted = imported.quoted_citations
    kept = (f" {quoted} of its sources are kept as quoted passages: their documents are not stored "
            "here." if quoted else "")
    return f"Imported “{imported.title or 'a conversation'}” as a new conversation.{kept}"


class TransferController(QObject):
    exported = Signal(object)  # ExportedFile
    imported = Signal(object)  # ImportedConversation
    failed = Signal(str)  # one line for the banner

    def __init__(self, database: Path, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database, self.runner = database, runner

    def export(self, conversation_id: int, path: Path, format_: str) -> BackgroundTask:
        def work(_progress: Progress, _cancel: threading.Event) -> ExportedFile:
            return self._with_database(lambda db: export_conversation(db, conversation_id, path, format_))

        return self.runner.run("export-conversation", work, on_done=self.exported.emit,
                               on_failed=lambda error: self.failed.emit(error_message(error)))

    def import_file(self, path: Path) -> BackgroundTask:
        def work(_progress: Progress, _cancel: threading.Event) -> ImportedConversation:
            return self._with_database(lambda db: import_file(db, path))

        return self.runner.run("import-conversation", work, on_done=self.imported.emit,
                               on_failed=lambda error: self.failed.emit(error_message(error)))

    def _with_database(self, job: Callable[[sqlite_utils.Database], Result]) -> Result:
        db = open_database(self.database)
        try:
            return job(db)
        finally:
            db.conn.close()
