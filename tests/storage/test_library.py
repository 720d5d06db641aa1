"""The document library's storage: a listing with type, size, pages, date added and the conversations
that use each document, in a fixed number of queries; search by title and by a word only in the
content; removal that takes chunks, pins, token counts and saved states (rows, then files) and
leaves citing answers readable with the passage's words; contents replaced in place; watched
folders and what their scans saw; and migration 11 on a database an older Longwit left."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
import sqlite_utils

from storage import (
    ConversationStore,
    DocumentAlreadyStored,
    DocumentNotFound,
    DocumentStore,
    NewChunk,
    open_database,
)
from storage.citations import CitationStore
from storage.document_removal import delete_state_files, sweep_orphan_state_files
from storage.library import Library
from storage.migrations import MIGRATIONS, apply_migrations
from storage.model_states import SavedState, StateIndex
from storage.watched_folders import WatchedFolders


def add(docs: DocumentStore, sha: str, *texts: str, title: str = "A title", kind: str = "text",
        pages: bool = False) -> int:
    chunks, start = [], 0
    for number, text in enumerate(texts, start=1):
        chunks.append(NewChunk(text, start, page=number if pages else None, line=number))
        start += len(text) + 2
    return docs.add(title, f"/tmp/{sha}.{kind}", sha, kind, 1000 + len(texts), chunks)


def count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def save_state(db, folder: Path, key: str, document_ids: list[int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.state"
    path.write_bytes(b"kv" * 10)
    StateIndex(db).put(SavedState(key, "model", 300, "sha", path.name, 20, "00", ""), document_ids)
    return path


def test_the_listing_shows_type_size_pages_and_the_conversations_in_few_queries(
        docs: DocumentStore, store: ConversationStore) -> None:
    report = add(docs, "r1", "page one text", "page two text", "page three", title="Report",
                 kind="pdf", pages=True)
    notes = add(docs, "n1", "plain notes", title="Notes")
    first, second = store.create("Budget talk"), store.create("Lamp talk")
    docs.pin(first, report)
    docs.pin(second, report)
    statements: list[str] = []
    docs.db.conn.set_trace_callback(statements.append)
    entries = Library(docs.db).entries()
    docs.db.conn.set_trace_callback(None)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 2
    assert [e.document.id for e in entries] == [notes, report]  # newest first
    shown = entries[1]
    assert (shown.document.kind, shown.document.size_bytes, shown.document.page_count) == ("pdf", 1003, 3)
    assert shown.document.char_count == len("page one text") + len("page two text") + len("page three")
    assert {u.title for u in shown.conversations} == {"Budget talk", "Lamp talk"}
    assert entries[0].conversations == () and entries[0].document.page_count is None
    assert shown.document.created <= entries[0].document.created


def test_search_finds_a_title_and_a_word_only_in_the_content(docs: DocumentStore) -> None:
    lamp = add(docs, "l1", "The keeper trimmed the wick.", "An albatross named Quentin nested.",
               title="Lamp diary")
    other = add(docs, "o1", "Nothing about birds here.", title="Harbour accounts")
    library = Library(docs.db)
    by_content = library.search("quentin")
    assert [e.document.id for e in by_content] == [lamp]
    assert "[Quentin]" in by_content[0].snippet and not by_content[0].title_match
    assert [e.document.id for e in library.search("harbour")] == [other]
    assert library.search("harbour")[0].title_match
    assert [e.document.id for e in library.search("albatr")] == [lamp]  # as you type: a prefix
    assert library.search("albatross harbour") == []  # every word, in one passage
    assert library.search('" NEAR * (') == []  # FTS5 syntax is searched as words
    assert len(library.search("  ")) == 2


def test_remove_takes_chunks_pins_states_and_keeps_citing_answers_readable(
        docs: DocumentStore, store: ConversationStore, tmp_path: Path) -> None:
    gone = add(docs, "g1", "The lens cost the spring budget.", "Paraffin came in March.",
               title="Quarterly report", pages=True)
    kept = add(docs, "k1", "Another document.", title="Kept")
    conversation = store.create("Talk")
    docs.pin(conversation, gone)
    docs.pin(conversation, kept)
    docs.set_token_count(gone, "smollm2", 40)
    question = store.add_message(conversation, "user", "What did the lens cost?")
    answer = store.add_message(conversation, "assistant", "The spring budget [1].")
    CitationStore(store.db).add(answer, [(1, docs.chunks(gone)[0].id, "cited")])
    states = tmp_path / "states"
    holding = save_state(docs.db, states, "holds-it", [gone, kept])
    other = save_state(docs.db, states, "other", [kept])
    cost = Library(docs.db).removal_cost(docs.get(gone))
    assert (len(cost.conversations), cost.citations, cost.states) == (1, 1, 1)

    removed = docs.remove(gone)
    assert (removed.conversations, removed.quoted_citations, removed.state_files) == (
        1, 1, ["holds-it.state"])
    assert holding.exists(), "the file goes only after the commit, by the caller"
    assert delete_state_files(states, removed.state_files) == 1
    assert not holding.exists() and other.exists()
    assert StateIndex(docs.db).get("holds-it") is None and StateIndex(docs.db).get("other")
    assert count(docs.db, "chunks") == 1 and docs.pinned(conversation) == [docs.get(kept)]
    assert docs.token_count(gone, "smollm2") is None
    with pytest.raises(DocumentNotFound):
        docs.get(gone)
    assert [m.id for m in store.messages(conversation)] == [question, answer]
    [source] = CitationStore(store.db).sources([answer])
    assert (source.chunk_id, source.document_title, source.text, source.location.label()) == (
        None, "Quarterly report", "The lens cost the spring budget.", "p. 1")
    docs.db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
    assert docs.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_replacing_contents_keeps_the_id_and_pins_and_drops_what_hung_on_the_old_text(
        docs: DocumentStore, store: ConversationStore, tmp_path: Path) -> None:
    document = add(docs, "v1", "old wording of the notes", title="Notes")
    other = add(docs, "v9", "someone else")
    conversation = store.create()
    docs.pin(conversation, document)
    answer = store.add_message(conversation, "assistant", "Old [1].")
    CitationStore(store.db).add(answer, [(1, docs.chunks(document)[0].id, "cited")])
    save_state(docs.db, tmp_path / "states", "old-prefix", [document])
    cleared = docs.replace_contents(document, "Notes v2", "v2", "markdown", 77, [
        NewChunk("new wording, first part", 0, page=2), NewChunk("second part", 25, page=5)])
    assert (cleared.quoted_citations, cleared.state_files) == (1, ["old-prefix.state"])
    now = docs.get(document)
    assert (now.title, now.sha256, now.kind, now.size_bytes, now.chunk_count, now.page_count) == (
        "Notes v2", "v2", "markdown", 77, 2, 5)
    assert [c.text for c in docs.chunks(document)] == ["new wording, first part", "second part"]
    assert docs.pinned(conversation) == [now]
    assert [hit.chunk.document_id for hit in docs.search("wording")] == [document]
    assert docs.search("old") == []
    assert CitationStore(store.db).sources([answer])[0].text == "old wording of the notes"
    with pytest.raises(DocumentAlreadyStored):  # the new bytes are another document's
        docs.replace_contents(document, "x", "v9", "text", 1, [NewChunk("x", 0)])
    assert docs.get(document) == now and docs.get(other).chunk_count == 1


def test_orphan_state_files_are_swept_only_when_old(docs: DocumentStore, tmp_path: Path) -> None:
    states = tmp_path / "states"
    named = save_state(docs.db, states, "named", [])
    orphan, fresh = states / "orphan.state", states / "fresh.state"
    orphan.write_bytes(b"x")
    fresh.write_bytes(b"x")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    os.utime(named, (old, old))
    assert sweep_orphan_state_files(docs.db, states) == 1
    assert named.exists() and fresh.exists() and not orphan.exists()


def test_watched_folders_remember_what_became_of_each_file(docs: DocumentStore, tmp_path: Path) -> None:
    watched = WatchedFolders(docs.db)
    folder = watched.add(tmp_path / "inbox")
    assert watched.add(tmp_path / "inbox" / ".." / "inbox") == folder  # once
    assert folder.path == str((tmp_path / "inbox").resolve())
    document = add(docs, "w1", "text")
    watched.record(folder.id, "/x/a.txt", 10, 111, document, None)
    watched.record(folder.id, "/x/b.bin", 5, 222, None, "b.bin: not text")
    seen = watched.seen(folder.id)
    assert seen["/x/a.txt"].document_id == document and seen["/x/b.bin"].problem == "b.bin: not text"
    assert seen["/x/b.bin"].unchanged(5, 222) and not seen["/x/b.bin"].unchanged(6, 222)
    assert watched.list()[0].documents == 1
    docs.remove(document)
    assert watched.seen(folder.id)["/x/a.txt"].document_id is None
    assert watched.seen(folder.id)["/x/a.txt"].problem == "removed from the library"
    assert watched.remove(str(tmp_path / "inbox")).id == folder.id
    assert watched.list() == [] and count(docs.db, "folder_files") == 0


def test_migration_11_fills_in_the_pages_of_documents_stored_before(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(connection)
    apply_migrations(db, upto=10)
    db.execute("INSERT INTO documents (title, path, sha256, kind, size_bytes, char_count, chunk_count, "
               "created) VALUES ('Old', NULL, 's', 'pdf', 1, 2, 2, '2026-01-01')")
    for ordinal, page in enumerate((1, 7)):
        db.execute("INSERT INTO chunks (document_id, ordinal, text, page, char_start) "
                   "VALUES (1, ?, 'x', ?, 0)", [ordinal, page])
    connection.close()
    upgraded = DocumentStore(open_database(path))
    assert upgraded.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 11
    assert upgraded.get(1).page_count == 7
