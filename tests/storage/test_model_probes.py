"""Probe results are kept per model file: read back as stored, forgotten when the file changes, and
the table arrives in an existing database through its numbered migration."""

from __future__ import annotations

import os
from pathlib import Path

import sqlite_utils

from storage import ProbeStore, open_database
from storage.migrations import MIGRATIONS

GRID = {"lengths": [{"length": 1024, "passed": True}], "cells": [{"length": 1024, "depth": 0.5}]}


def model_file(folder: Path) -> Path:
    path = folder / "tiny.gguf"
    path.write_bytes(b"GGUF" + bytes(1000))
    return path


def record(store: ProbeStore, path: Path, usable: int = 2048):
    return store.record(path, usable, 8192, 7600, 9.5, GRID, "0.3.36")


def test_recorded_probe_reads_back_as_stored(tmp_path: Path) -> None:
    path = model_file(tmp_path)
    store = ProbeStore(open_database(tmp_path / "a.db"))
    assert store.get(path) is None
    stored = record(store, path)
    found = ProbeStore(open_database(tmp_path / "a.db")).get(str(path))  # another connection, a str
    assert found == stored
    assert found.path == str(path.resolve()) and found.usable_tokens == 2048 and found.n_ctx == 8192
    assert found.prefill_tokens_per_s == 7600 / 9.5 and found.grid == GRID
    assert found.llama_cpp_version == "0.3.36" and len(found.probed_date) == 10


def test_a_second_probe_replaces_the_first(tmp_path: Path) -> None:
    path = model_file(tmp_path)
    store = ProbeStore(open_database(tmp_path / "a.db"))
    record(store, path, usable=1024)
    record(store, path, usable=4096)
    assert store.get(path).usable_tokens == 4096
    assert store.db.execute("SELECT COUNT(*) FROM model_probes").fetchone()[0] == 1


def test_a_changed_or_missing_file_has_no_probe(tmp_path: Path) -> None:
    path = model_file(tmp_path)
    store = ProbeStore(open_database(tmp_path / "a.db"))
    record(store, path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # rewritten in place
    assert store.get(path) is None
    record(store, path)
    with path.open("ab") as handle:  # same second, other size
        handle.write(b"more")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert store.get(path) is None
    path.unlink()
    assert store.get(path) is None


def test_migration_adds_the_table_to_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    for number, migration in enumerate(MIGRATIONS[:4], start=1):  # as the previous release left it
        with db.conn:
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
    db.execute("INSERT INTO model_uses (path, name, n_ctx, last_used, uses) "
               "VALUES ('/m.gguf', 'm', 2048, '2026-01-01', 3)")
    db.conn.commit()
    db.conn.close()

    upgraded = open_database(path)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 5
    assert "model_probes" in upgraded.table_names()
    assert upgraded.execute("SELECT name, uses FROM model_uses").fetchall() == [("m", 3)]
    model = model_file(tmp_path)
    assert ProbeStore(upgraded).get(model) is None
    record(ProbeStore(upgraded), model)
    assert ProbeStore(upgraded).get(model).usable_tokens == 2048
