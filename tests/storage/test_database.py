"""The database opens in WAL mode with foreign keys, migrates once, and explains what is wrong
when it is locked, read-only or not a database at all, without losing what it holds."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage import (
    ConversationStore,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseUnusable,
    open_database,
)
from storage.migrations import MIGRATIONS
from tests.conftest import project_environment, read_only_folder


def test_new_database_is_migrated_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = open_database(tmp_path / "a.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {"conversations", "messages", "messages_fts", "model_uses"} <= set(db.table_names())


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    store = ConversationStore(open_database(tmp_path / "a.db"))
    conversation = store.create()
    store.add_message(conversation, "user", "hello there")
    reopened = ConversationStore(open_database(tmp_path / "a.db"))
    assert [m.content for m in reopened.messages(conversation)] == ["hello there"]


def test_locked_database_names_the_file_and_keeps_earlier_messages(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = ConversationStore(open_database(path))
    conversation = store.create()
    store.add_message(conversation, "user", "kept")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        blocked = ConversationStore(open_database(path, busy_timeout_s=0.2))
        with pytest.raises(DatabaseLocked, match="locked by another program") as caught:
            blocked.add_message(conversation, "user", "lost?")
        assert str(path) in str(caught.value)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [m.content for m in store.messages(conversation)] == ["kept"]


def test_file_that_is_not_a_database_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    path.write_bytes(b"this is not sqlite at all, just text" * 100)
    before = path.read_bytes()
    with pytest.raises(DatabaseUnusable, match="move it aside"):
        open_database(path)
    assert path.read_bytes() == before


READ_ONLY_PROBE = """
import sys
from pathlib import Path
from storage import ConversationStore, StorageError, open_database
try:
    store = ConversationStore(open_database(Path(sys.argv[1])))
    store.add_message(int(sys.argv[2]), "user", "should not be written")
except StorageError as error:
    print(type(error).__name__, error)
    sys.exit(3)
"""


def test_read_only_database_gives_clear_error_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "ro" / "a.db"
    store = ConversationStore(open_database(path))
    conversation = store.create()
    store.add_message(conversation, "user", "kept")
    store.db.conn.close()
    with read_only_folder(path.parent) as prefix:
        result = subprocess.run(
            [*prefix, sys.executable, "-c", READ_ONLY_PROBE, str(path), str(conversation)],
            capture_output=True, text=True, env=project_environment(), check=False,
        )
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith(DatabaseReadOnly.__name__)
    assert "read-only" in result.stdout and str(path) in result.stdout
    reopened = ConversationStore(open_database(path))
    assert [m.content for m in reopened.messages(conversation)] == ["kept"]
