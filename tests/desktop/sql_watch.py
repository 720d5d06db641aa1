"""Watching every SQLite connection a test's code opens on one database file (or on any, in memory
too): on which thread each was opened, which statements ran on the GUI (main) thread, and whether
each was closed.

`sqlite3.connect` is wrapped so that connections to the file are made with a Connection subclass
that records its own close() and traces its statements through SQLite's trace callback, which
runs on the thread that executes the statement. Nothing else about the connection changes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


class WatchedConnection(sqlite3.Connection):
    watch: SqlWatch  # set on the subclass each watch makes

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened_on = threading.current_thread().name
        self.file = ""  # what was opened, set once connected
        self.closed = False
        self.watch.opened(self)
        self.set_trace_callback(self._traced)

    def _traced(self, statement: str) -> None:
        if threading.current_thread() is threading.main_thread():
            self.watch.on_gui_thread.append(statement)

    def close(self) -> None:
        self.closed = True
        super().close()


class SqlWatch:
    def __init__(self, database: Path | None) -> None:
        self.database = database.resolve() if database is not None else None  # None: every one
        self.connections: list[WatchedConnection] = []
        self.on_gui_thread: list[str] = []  # statements (and "connect") run on the GUI thread
        self._lock = threading.Lock()
        self.factory = type("Watched", (WatchedConnection,), {"watch": self})

    def opened(self, connection: WatchedConnection) -> None:
        with self._lock:
            self.connections.append(connection)
        if threading.current_thread() is threading.main_thread():
            self.on_gui_thread.append("connect")

    def left_open(self) -> list[str]:
        """The threads whose connections are still open."""
        with self._lock:
            return [c.opened_on for c in self.connections if not c.closed]

    def open_files(self) -> list[str]:
        """The files (or ":memory:") of the connections still open, with the thread of each."""
        with self._lock:
            return [f"{c.file} on {c.opened_on}" for c in self.connections if not c.closed]

    def opened_on(self) -> list[str]:
        with self._lock:
            return [c.opened_on for c in self.connections]

    def watches(self, database: str) -> bool:
        if self.database is None:
            return True
        return database != ":memory:" and Path(database).resolve() == self.database

    def wrap(self, connect: Callable[..., sqlite3.Connection]) -> Callable[..., sqlite3.Connection]:
        def watched_connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
            if kwargs.get("factory") is None and self.watches(str(database)):
                kwargs["factory"] = self.factory
            connection = connect(database, *args, **kwargs)
            if isinstance(connection, WatchedConnection):
                connection.file = str(database)
            return connection

        return watched_connect


def watch_sql(monkeypatch: pytest.MonkeyPatch, database: Path | None) -> SqlWatch:
    """Watch the connections opened on `database` (None: on any file, or in memory) until the
    test ends."""
    watch = SqlWatch(database)
    monkeypatch.setattr(sqlite3, "connect", watch.wrap(sqlite3.connect))
    return watch
