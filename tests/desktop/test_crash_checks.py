"""The crash harness's checks catch what they are there to catch: each kind of damage planted by
hand in a healthy folder is reported, and the healthy folder itself passes. Also how kill points are
planned from a run's crash points and length."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from desktop.benchmarks.crash.checks import (
    Baseline,
    ServedFile,
    check_database,
    check_models,
    check_states,
    current_schema,
    file_sha256,
)
from desktop.benchmarks.crash.journal import Journal
from desktop.benchmarks.crash.runner import plan_points, spread, threads_each, with_threads
from engine.state_cache import file_checksum
from storage import ConversationStore, DocumentStore, NewChunk, open_database
from storage.crash_points import text_digest
from storage.memory_store import MemoryStore
from storage.model_states import SavedState, StateIndex


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A folder with a conversation, a document of three chunks and one saved state."""
    folder = tmp_path / "home"
    db = open_database(folder / "longwit.db")
    store = ConversationStore(db)
    conversation = store.create()
    store.add_message(conversation, "user", "Is it whole?")
    DocumentStore(db).add("Doc", None, "ab" * 32, "text", 30,
                          [NewChunk(f"chunk {i}", i * 8) for i in range(3)])
    (folder / "states").mkdir()
    (folder / "states" / "k.state").write_bytes(b"state bytes")
    checksum = file_checksum(folder / "states" / "k.state")
    StateIndex(db).put(SavedState("k", "m", 300, "", "k.state", 11, checksum, ""))
    db.conn.close()
    return folder


def sql(home: Path, statement: str) -> None:
    connection = sqlite3.connect(str(home / "longwit.db"), isolation_level=None)
    connection.execute(statement)
    connection.close()


def problems(home: Path, journal: Journal | None = None) -> list[str]:
    return check_database(home, Baseline(), journal or Journal(), current_schema())


def test_a_healthy_folder_passes(home: Path) -> None:
    state_problems, leftovers = check_states(home)
    assert problems(home) == [] and state_problems == [] and leftovers == []


def test_a_document_missing_a_chunk_is_half_stored(home: Path) -> None:
    sql(home, "DELETE FROM chunks WHERE ordinal = 2")
    assert any("half-stored documents: #1 (2 of 3 chunks)" in p for p in problems(home))


def test_a_committed_message_that_is_gone_or_changed_is_reported(home: Path) -> None:
    journal = Journal([{"at": "message.committed", "n": 1, "message_id": 1,
                        "role": text_digest("user"), "content": text_digest("Is it whole?")},
                       {"at": "message.committed", "n": 2, "message_id": 2,
                        "role": text_digest("assistant"), "content": text_digest("Yes.")}])
    assert problems(home, journal) == ["committed messages lost: #2"]
    sql(home, "UPDATE messages SET content = 'No.' WHERE id = 1")
    assert "committed messages changed: #1" in problems(home, journal)


def test_an_index_out_of_step_with_its_table_is_reported(home: Path) -> None:
    sql(home, "INSERT INTO messages_fts(rowid, content) VALUES (99, 'stray words')")
    assert any(p.startswith("messages_fts does not match its table") for p in problems(home))


def test_a_half_applied_migration_shows_in_the_schema(home: Path) -> None:
    sql(home, "ALTER TABLE messages ADD COLUMN half_applied TEXT")
    assert "the schema differs from a new database's (a migration half-applied)" in problems(home)


def test_a_state_row_naming_a_damaged_or_missing_file_is_reported(home: Path) -> None:
    (home / "states" / "k.state").write_bytes(b"state bytez")
    assert check_states(home)[0] == ["states/k.state is in the index but is not the file that was saved"]
    (home / "states" / "k.state").rename(home / "states" / "k.partial")
    assert check_states(home) == (["states/k.state is in the index but not on disk"], ["states/k.partial"])


def test_a_torn_model_file_is_reported_and_a_torn_part_too(tmp_path: Path) -> None:
    source = tmp_path / "model.gguf"
    source.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    served = ServedFile(source, file_sha256(source), source.stat().st_size)
    models = tmp_path / "home" / "models"
    models.mkdir(parents=True)
    (models / "whole.gguf").write_bytes(source.read_bytes())
    (models / "next.gguf.part").write_bytes(source.read_bytes()[:1000])
    assert check_models(tmp_path / "home", served) == ([], [])
    (models / "torn.gguf").write_bytes(source.read_bytes()[:1000])
    (models / "other.gguf.part").write_bytes(b"GGUF" + b"\0" * 100)
    (models / "other.gguf.part.json.123").write_text("{}")
    found, leftovers = check_models(tmp_path / "home", served)
    assert found == ["models/other.gguf.part is not the start of the file being downloaded",
                     "models/torn.gguf is not a complete model"]
    assert leftovers == ["models/other.gguf.part.json.123"]


def test_kill_points_are_spread_over_each_crash_point_and_over_time() -> None:
    assert spread(9, 1) == [5] and spread(9, 3) == [1, 5, 9] and spread(2, 5) == [1, 2]
    plan = plan_points({"document.begun": 2, "document.chunk": 1000, "document.committed": 2},
                       total=10, timed_share=0.4)
    assert [p.at for p in plan if p.at] == ["document.begun:1", "document.begun:2", "document.chunk:1",
                                            "document.chunk:1000", "document.committed:1",
                                            "document.committed:2"]
    assert [p.share for p in plan if p.at is None] == [0.125, 0.375, 0.625, 0.875]


def test_a_removed_document_still_there_is_reported_and_a_removed_one_is_not_lost(home: Path) -> None:
    removed = Journal([{"at": "document.removed", "n": 1, "document_id": 1}])
    assert problems(home, removed) == ["removed documents still stored: #1"]
    baseline = Baseline.of(home / "longwit.db")  # the document was there before the child ran
    db = open_database(home / "longwit.db")
    DocumentStore(db).remove(1)
    db.conn.close()
    assert check_database(home, baseline, removed, current_schema()) == []
    assert check_database(home, baseline, Journal(), current_schema()) == ["committed documents lost: #1"]


def test_an_accepted_memory_lost_or_a_replaced_one_kept_is_reported(home: Path) -> None:
    db = open_database(home / "longwit.db")
    store = MemoryStore(db)
    old = store.add("I live in York", subject="home").memory
    new = store.propose("I live in Leeds", subject="home").memory
    db.conn.close()
    accepted = Journal([{"at": "memory.accepted", "n": 1, "memory_id": new.id,
                         "text": text_digest(new.text), "replaced": [old.id]}])
    assert problems(home, accepted) == [f"accepted memories lost or changed: #{new.id}",
                                        f"replaced memories kept: #{old.id}"]


def test_an_imported_conversation_torn_or_missing_is_reported(home: Path) -> None:
    imported = Journal([{"at": "import.committed", "n": 1, "conversation_id": 1, "messages": 1},
                        {"at": "import.committed", "n": 2, "conversation_id": 7, "messages": 2}])
    assert problems(home, imported) == ["imported conversations lost or torn: #7 (no conversation "
                                        "of 2 messages)"]
    sql(home, "DELETE FROM messages WHERE conversation_id = 1")
    assert problems(home, imported)[0].startswith("imported conversations lost or torn: #1 (0 of 1")


def test_kill_points_run_at_once_share_the_cores_out_among_the_models() -> None:
    assert threads_each(1) is None  # alone: the app's own default
    assert threads_each(2) == max(1, (os.cpu_count() or 1) // 2)
    assert with_threads(["ask", "Hi."], 1) == ["ask", "Hi.", "--threads", "1"]
    assert with_threads(["history"], 1) == ["history"]  # no model, no threads
    assert with_threads(["export.json", "1", "1"], 3, model=True) == ["export.json", "1", "1",
                                                                     "--threads", "3"]
    assert with_threads(["ask", "Hi."], None) == ["ask", "Hi."]
