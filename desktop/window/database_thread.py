"""The window's SQLite connection, owned by a thread of its own, so that the GUI thread runs no SQL
(Anki: one thread owns the collection database).

Everything the window reads or writes outside an answer (the conversation list, search, rename,
delete, a conversation's messages and pinned documents, a citation's passage, the models used) is a
job here: a function of the connection, run in the order asked, whose result is handed back on the
GUI thread through GuiRelay. Order is the point: a list asked for after a rename shows the new
title. Answers are written on the chat controller's own thread and connection (WAL lets the two
read and write at once), so a long answer never holds up the sidebar.

The thread opens its connection as it starts (the window waits for that, so that a locked or
unreadable database still stops the start with its message) and closes it when `close` ends it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from PySide6.QtCore import QObject, Signal

from desktop.diagnostics.error_report import report_error
from desktop.window.background import GuiRelay, join_threads
from storage import open_database

T = TypeVar("T")
JOIN_S = 10.0  # closing waits this long for the jobs already asked for


@dataclass(frozen=True)
class DatabaseJob:
    what: str  # for the log: "reading the conversation list"
    work: Callable[[sqlite_utils.Database], Any]
    on_done: Callable[[Any], None] | None
    on_failed: Callable[[str], None] | None


class DatabaseThread(QObject):
    """Runs the window's SQL on one thread and connection; results arrive on the GUI thread."""

    failed = Signal(str)  # a job with no `on_failed` went wrong: a line for the banner

    def __init__(self, database: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.relay = GuiRelay(self)
        self._jobs: queue.Queue[DatabaseJob | None] = queue.Queue()
        self._closed = False
        opened: Future[None] = Future()
        self._thread = threading.Thread(target=self._serve, args=(opened,), name="longwit-database",
                                        daemon=True)
        self._thread.start()
        opened.result()  # raises the StorageError that says why the database cannot be used

    def run(self, what: str, work: Callable[[sqlite_utils.Database], T],
            on_done: Callable[[T], None] | None = None,
            on_failed: Callable[[str], None] | None = None) -> None:
        """Queue `work(db)`; `on_done(result)` or `on_failed(message)` then runs on the GUI thread.
        Safe to call from any thread; after `close` the job is dropped (the window is gone)."""
        if not self._closed:
            self._jobs.put(DatabaseJob(what, work, on_done, on_failed))

    def _serve(self, opened: Future[None]) -> None:
        try:
            db = open_database(self.database)
        except BaseException as error:
            opened.set_exception(error)
            return
        opened.set_result(None)
        try:
            while (job := self._jobs.get()) is not None:
                self._run(db, job)
        finally:
            db.conn.close()

    def _run(self, db: sqlite_utils.Database, job: DatabaseJob) -> None:
        try:
            result = job.work(db)
        except Exception as error:
            message = report_error(error, job.what)
            self.relay.post(job.on_failed or self.failed.emit, message)
            return
        if job.on_done is not None:
            self.relay.post(job.on_done, result)

    def close(self, timeout: float = JOIN_S) -> bool:
        """Run the jobs already asked for, close the connection and end the thread; True if it
        ended within `timeout` (if not, it is logged, and it ends with the app)."""
        self._closed = True
        self._jobs.put(None)
        return not join_threads([self._thread], timeout, "the window's database")
