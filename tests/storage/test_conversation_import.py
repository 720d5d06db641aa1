"""A JSON export imports as a new conversation that exports again the same (all but the export and
import times); citations find their passages again where the document is stored and keep their
words where it is not; bad files get a typed error naming what is wrong and change nothing, even
when the database fails half-way through the import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from storage import ConversationStore, DatabaseUnusable, WordTimings, open_database
from storage.citations import CitationStore
from storage.conversation_archive import FORMAT_VERSION, ArchiveLimits, read_archive
from storage.conversation_export import export_text
from storage.conversation_import import import_archive, import_file
from storage.errors import (
    ArchiveFieldInvalid,
    ArchiveFieldMissing,
    ArchiveNotJson,
    ArchiveTooLarge,
    ArchiveTooNew,
    ArchiveUnreadable,
    ArchiveWrongFormat,
)
from storage.recalled_sources import RecalledSources
from tests.storage.conversation_samples import (
    PASSAGES,
    RECALLED,
    SPOKEN,
    Sample,
    stored_sample,
    table_counts,
)


@pytest.fixture
def sample(store: ConversationStore) -> Sample:
    return stored_sample(store.db)


@pytest.fixture
def exported(store: ConversationStore, sample: Sample) -> str:
    return export_text(store.db, sample.conversation_id, "json")


@pytest.fixture
def elsewhere(tmp_path: Path) -> sqlite_utils.Database:
    """Another person's database: none of the sample's documents are in it."""
    return open_database(tmp_path / "elsewhere" / "longwit.db")


def comparable(text: str) -> dict[str, Any]:
    """An export without the times an import cannot keep: when it was exported and last updated."""
    found = json.loads(text)
    del found["exported"], found["updated"]
    return found


def test_round_trip_into_another_database_keeps_everything_and_quotes_the_sources(
        exported: str, elsewhere: sqlite_utils.Database) -> None:
    imported = import_archive(elsewhere, read_archive(exported))
    assert (imported.message_count, imported.linked_citations, imported.quoted_citations,
            imported.pinned_documents) == (4, 0, 2, 0)
    again = export_text(elsewhere, imported.conversation_id, "json")
    expected = comparable(exported)
    expected["pinned_documents"] = []  # the document is not stored there, so nothing to pin
    assert comparable(again) == expected
    answer = ConversationStore(elsewhere).messages(imported.conversation_id)[1]
    sources = CitationStore(elsewhere).sources([answer.id])
    assert [(s.label, s.text, s.stored) for s in sources] == [
        ("Velmora harbour records, p. 3", PASSAGES[1], False),
        ("Velmora harbour records, p. 2", PASSAGES[0], False)]
    # The recalled texts come back by their words, linked to nothing there.
    assert RecalledSources(elsewhere).for_messages([answer.id]) == {answer.id: list(RECALLED)}


def test_round_trip_in_the_same_database_finds_the_stored_passages_again(
        store: ConversationStore, sample: Sample, exported: str) -> None:
    imported = import_archive(store.db, read_archive(exported))
    assert imported.conversation_id != sample.conversation_id
    assert (imported.linked_citations, imported.quoted_citations, imported.pinned_documents) == (2, 0, 1)
    assert comparable(export_text(store.db, imported.conversation_id, "json")) == comparable(exported)
    original = CitationStore(store.db).sources([sample.answer_id])
    answer = store.messages(imported.conversation_id)[1]
    assert [s.chunk_id for s in CitationStore(store.db).sources([answer.id])] == [
        s.chunk_id for s in original]
    assert len(store.messages(sample.conversation_id)) == 4  # the original is untouched


def test_word_timings_survive_the_round_trip(exported: str, elsewhere: sqlite_utils.Database) -> None:
    imported = import_archive(elsewhere, read_archive(exported))
    question = ConversationStore(elsewhere).messages(imported.conversation_id)[0]
    assert WordTimings(elsewhere).for_message(question.id) == list(SPOKEN)


def test_imported_messages_keep_their_times_and_the_conversation_comes_first(
        store: ConversationStore, sample: Sample, exported: str) -> None:
    later = store.create("a newer conversation")
    imported = import_archive(store.db, read_archive(exported))
    assert store.latest_id() == imported.conversation_id != later
    assert [m.created for m in store.messages(imported.conversation_id)] == [
        m.created for m in store.messages(sample.conversation_id)]


def test_importing_a_file_reimports_as_another_new_conversation(
        store: ConversationStore, sample: Sample, exported: str, tmp_path: Path) -> None:
    path = tmp_path / "talk.json"
    path.write_text(exported, encoding="utf-8")
    first, second = import_file(store.db, path), import_file(store.db, path)
    assert len({sample.conversation_id, first.conversation_id, second.conversation_id}) == 3
    assert first.title == "Who kept the light?"


def edited(exported: str, change) -> str:
    found = json.loads(exported)
    change(found)
    return json.dumps(found)


def drop(path: str):
    def change(found: dict) -> None:
        *parents, last = path.split("/")
        for part in parents:
            found = found[int(part)] if part.isdigit() else found[part]
        del found[int(last) if last.isdigit() else last]
    return change


def put(path: str, value: object):
    def change(found: dict) -> None:
        *parents, last = path.split("/")
        for part in parents:
            found = found[int(part)] if part.isdigit() else found[part]
        found[int(last) if last.isdigit() else last] = value
    return change


BAD_FILES = [
    ("not json", lambda e: "Ansel Marrow kept the light.", ArchiveNotJson, "not a JSON file"),
    ("markdown export", lambda e: "# Who kept the light?\n\n---\n", ArchiveNotJson, "line 1"),
    ("not utf-8", lambda e: b"\xff\xfe\x00{", ArchiveNotJson, "not a JSON file"),
    ("a list", lambda e: "[1, 2]", ArchiveWrongFormat, "names no format"),
    ("wrong format", lambda e: edited(e, put("format", "chatgpt-export")), ArchiveWrongFormat,
     "'chatgpt-export'"),
    ("newer version", lambda e: edited(e, put("version", FORMAT_VERSION + 1)), ArchiveTooNew,
     "update Longwit"),
    ("version as text", lambda e: edited(e, put("version", "1")), ArchiveFieldInvalid, "version"),
    ("no messages", lambda e: edited(e, drop("messages")), ArchiveFieldMissing, "messages is missing"),
    ("message without role", lambda e: edited(e, drop("messages/1/role")), ArchiveFieldMissing,
     r"messages\[1\]\.role"),
    ("unknown role", lambda e: edited(e, put("messages/0/role", "tool")), ArchiveFieldInvalid,
     "one of 'user'"),
    ("content a number", lambda e: edited(e, put("messages/0/content", 42)), ArchiveFieldInvalid,
     r"messages\[0\]\.content should be text"),
    ("bad time", lambda e: edited(e, put("messages/2/created", "yesterday")), ArchiveFieldInvalid,
     "date and time"),
    ("passage missing", lambda e: edited(e, drop("messages/1/citations/1/passage")),
     ArchiveFieldMissing, r"messages\[1\]\.citations\[1\]\.passage"),
    ("page as text", lambda e: edited(e, put("messages/1/citations/0/location/page", "3")),
     ArchiveFieldInvalid, "page should be a whole number"),
    ("duplicate numbers", lambda e: edited(e, put("messages/1/citations/1/number", 1)),
     ArchiveFieldInvalid, "without repeats"),
    ("word time true", lambda e: edited(e, put("messages/0/words/2/start_s", True)),
     ArchiveFieldInvalid, r"words\[2\]\.start_s should be a number"),
    ("word time NaN", lambda e: e.replace('"start_s": 0.88', '"start_s": NaN'), ArchiveNotJson,
     "NaN"),
    ("cut as text", lambda e: edited(e, put("messages/3/cut", "yes")), ArchiveFieldInvalid,
     "true or false"),
    ("words not a list", lambda e: edited(e, put("messages/0/words", {"word": "Who"})),
     ArchiveFieldInvalid, "a list"),
    ("recalled kind unknown", lambda e: edited(e, put("messages/1/recalled/0/kind", "web")),
     ArchiveFieldInvalid, r"recalled\[0\]\.kind should be one of 'message'"),
    ("recalled text missing", lambda e: edited(e, drop("messages/1/recalled/1/text")),
     ArchiveFieldMissing, r"messages\[1\]\.recalled\[1\]\.text"),
    ("recalled numbers repeat", lambda e: edited(e, put("messages/1/recalled/1/number", 1)),
     ArchiveFieldInvalid, "without repeats"),
    ("nested too deep", lambda e: "[" * 100_000 + "]" * 100_000, ArchiveNotJson, "not a JSON file"),
]


@pytest.mark.parametrize(("name", "make", "error", "says"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_gets_its_typed_error_and_changes_nothing(
        store: ConversationStore, exported: str, tmp_path: Path, name: str, make, error: type,
        says: str) -> None:
    before = table_counts(store.db)
    data = make(exported)
    path = tmp_path / "bad.json"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    with pytest.raises(error, match=says) as caught:
        import_file(store.db, path)
    assert str(path) in str(caught.value)
    assert table_counts(store.db) == before


def test_a_file_over_the_limit_is_refused_before_it_is_read(
        store: ConversationStore, exported: str, tmp_path: Path) -> None:
    before = table_counts(store.db)
    path = tmp_path / "huge.json"
    path.write_text(exported, encoding="utf-8")
    with pytest.raises(ArchiveTooLarge, match="more than the"):
        import_file(store.db, path, ArchiveLimits(max_bytes=len(exported) // 2))
    with pytest.raises(ArchiveTooLarge):
        read_archive(exported, "pasted text", ArchiveLimits(max_bytes=100))
    assert table_counts(store.db) == before


def test_a_missing_file_is_one_clear_error(store: ConversationStore, tmp_path: Path) -> None:
    with pytest.raises(ArchiveUnreadable, match="cannot be read"):
        import_file(store.db, tmp_path / "nowhere.json")


def test_a_failure_half_way_through_leaves_nothing_behind(
        store: ConversationStore, exported: str) -> None:
    """The database itself refuses the word timings, after the conversation and its first message
    are written: everything goes back."""
    before = table_counts(store.db)
    store.db.execute("CREATE TEMP TRIGGER refuse AFTER INSERT ON word_timings "
                     "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    with pytest.raises(DatabaseUnusable):
        import_archive(store.db, read_archive(exported))
    assert table_counts(store.db) == before
