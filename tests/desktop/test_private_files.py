"""What Longwit creates is readable by the person only: the data folder it makes, the database and
SQLite's files beside it, the log folder and its files; a folder the person made keeps its own
mode. (Saved states and downloaded models: tests/engine/test_state_cache.py and
test_model_download.py.)"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from desktop.diagnostics.log_file import LogOptions, start_log, stop_log
from storage import ConversationStore, open_database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_folder_database_and_log_are_the_owners_only(tmp_path: Path) -> None:
    home = tmp_path / "made" / "home"
    db = open_database(home / "longwit.db")
    ConversationStore(db).create(title="private")
    assert mode(tmp_path / "made") == 0o700 and mode(home) == 0o700
    assert mode(home / "longwit.db") == 0o600
    assert mode(home / "longwit.db-wal") == 0o600  # SQLite copies the database file's mode
    db.conn.close()
    start_log(LogOptions(max_bytes=2_000, backups=2), home / "logs" / "longwit.log")
    try:
        for line in range(100):  # past a rotation: the file started after it is private too
            logging.getLogger("longwit.test").warning("line %d of a private log", line)
    finally:
        stop_log()
    assert mode(home / "logs") == 0o700
    logs = sorted((home / "logs").iterdir())
    assert [p.name for p in logs] == ["longwit.log", "longwit.log.1", "longwit.log.2"]
    assert {mode(p) for p in logs} == {0o600}


def test_a_folder_the_person_made_keeps_its_mode(tmp_path: Path) -> None:
    home = tmp_path / "shared"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    open_database(home / "longwit.db").conn.close()
    assert mode(home) == 0o755 and mode(home / "longwit.db") == 0o600
