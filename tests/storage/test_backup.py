"""`longwit backup`'s copy: one committed state while another connection keeps writing, restored by
putting it in place of the database; never over an existing file; readable by its owner only."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli.main import main
from storage import ConversationStore, database_path, open_database
from storage.backup import BackupNotWritten, backup_database
from tests.storage.conversation_samples import table_counts


def filled_database(path: Path, conversations: int, messages: int) -> None:
    db = open_database(path)
    store = ConversationStore(db)
    for number in range(conversations):
        conversation = store.create(title=f"Conversation {number}")
        for turn in range(messages):
            store.add_message(conversation, "user", f"Question {turn} of {number}: " + "words " * 80)
    db.conn.close()


def counts(path: Path) -> tuple[int, int]:
    db = open_database(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        found = table_counts(db)
        return found["conversations"], found["messages"]
    finally:
        db.conn.close()


def test_a_backup_taken_while_another_connection_writes_is_one_committed_state(tmp_path: Path) -> None:
    source = tmp_path / "longwit.db"
    filled_database(source, 20, 20)  # a few hundred pages: the copy takes several steps
    stop = threading.Event()
    written = []

    def keep_writing() -> None:
        db = open_database(source)
        store = ConversationStore(db)
        conversation = store.create(title="Written during the backup")
        while not stop.is_set():
            written.append(store.add_message(conversation, "user", "more " * 50))
        db.conn.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    steps: list[tuple[int, int]] = []
    try:
        while len(written) < 5:
            stop.wait(0.01)
        (tmp_path / "copies").mkdir()
        result = backup_database(source, tmp_path / "copies",
                                 lambda done, total: steps.append((done, total)), pages_per_step=16)
    finally:
        stop.set()
        writer.join()
    assert result.path == tmp_path / "copies" / "longwit.db"
    assert len(steps) > 2 and steps[-1][0] == steps[-1][1]  # in steps, to the last page
    conversations, messages = counts(result.path)
    assert conversations == 21 and 400 < messages <= 400 + len(written)
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "copies").iterdir()] == ["longwit.db"]  # nothing partial


def test_longwit_backup_then_restore_gives_back_every_conversation(longwit_home: Path,
                                                                     tmp_path: Path) -> None:
    filled_database(database_path(), 3, 4)
    target = tmp_path / "saved.db"
    result = CliRunner().invoke(main, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert f"to {target}" in result.output
    filled_database(database_path(), 2, 1)  # written after the backup: not in it
    assert counts(database_path()) == (5, 14)
    target.replace(database_path())  # the restore: the copy in place of the database
    assert counts(database_path()) == (3, 12)
    listed = CliRunner().invoke(main, ["history"])
    assert listed.exit_code == 0 and "Conversation 2" in listed.output


def test_a_backup_never_replaces_a_file_and_says_so_in_one_line(longwit_home: Path,
                                                                tmp_path: Path) -> None:
    filled_database(database_path(), 1, 1)
    target = tmp_path / "kept.txt"
    target.write_text("something of the person's")
    result = CliRunner().invoke(main, ["backup", str(target)])
    assert result.exit_code == 1
    assert "never replaces" in result.output and "Traceback" not in result.output
    assert target.read_text() == "something of the person's"
    with pytest.raises(BackupNotWritten, match="no database"):
        backup_database(tmp_path / "missing.db", tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()
