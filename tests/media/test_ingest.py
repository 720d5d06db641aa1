"""Files go in whole or not at all: a folder with bad files stores the good ones and names the bad,
the same bytes are stored once without being read again, and a cancelled import leaves nothing."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from pathlib import Path

import docx
import pytest

from media import ingest
from media.ingest import file_sha256, ingest_file, ingest_paths
from storage import DocumentStore, open_database

SENTENCE = "The keeper of the lighthouse wrote in his log about ships, storms and the winter sea. "


def prose(paragraphs: int) -> str:
    return "\n\n".join(f"Paragraph {n}. " + SENTENCE * 6 for n in range(paragraphs)) + "\n"


def make_library(folder: Path) -> Path:
    """Good text and Markdown files, bad ones with readable suffixes, and files to be passed over."""
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    (folder / "notes.txt").write_text(prose(3) + "An albatross named Quentin visits on Sundays.\n")
    (folder / "guide.md").write_text("# Guide\n\nHow to tend the lamp.\n\n## Wicks\n\nTrim them daily.\n")
    (folder / "sub" / "deeper" / "log.txt").write_text(prose(2))
    (folder / "sub" / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.txt").write_text("  \n\n \n")
    (folder / ".secret.txt").write_text("hidden file")
    (folder / ".hidden" / "inside.txt").write_text("inside a hidden folder")
    (folder / "picture.xyz").write_bytes(b"not a document Longwit reads")
    report = docx.Document()
    report.add_heading("Storms", level=1)
    report.add_paragraph(SENTENCE * 3)
    report.save(str(folder / "sub" / "report.docx"))
    (folder / "sub" / "broken.docx").write_bytes(b"PK\x03\x04 this zip stops here")
    return folder


@pytest.fixture
def docs(longwit_home: Path) -> DocumentStore:
    return DocumentStore(open_database(longwit_home / "longwit.db"))


def counts(docs: DocumentStore) -> tuple[int, int, int]:
    return tuple(
        docs.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("documents", "chunks", "chunks_fts")
    )


def test_a_folder_stores_the_good_files_and_names_the_bad_ones(tmp_path: Path, docs: DocumentStore) -> None:
    library = make_library(tmp_path / "library")
    seen: list[tuple[float, str]] = []
    results = list(ingest_paths([library], docs, progress=lambda share, what: seen.append((share, what))))
    names = [result.path.name for result in results]
    assert names == [
        "empty.txt",
        "guide.md",
        "notes.txt",
        "binary.txt",
        "broken.docx",
        "log.txt",
        "report.docx",
    ]
    by_name = {result.path.name: result for result in results}
    good = ("guide.md", "notes.txt", "log.txt", "report.docx")
    assert {name for name, r in by_name.items() if r.status == "added"} == set(good)
    for bad in ("empty.txt", "binary.txt", "broken.docx"):
        assert by_name[bad].status == "failed" and not by_name[bad].ok
        assert bad in by_name[bad].message and "\n" not in by_name[bad].message
    stored = {document.path for document in docs.list()}
    assert stored == {str(by_name[name].path.resolve()) for name in good}
    assert {d.kind for d in docs.list()} == {"text", "markdown", "docx"}
    notes = by_name["notes.txt"].document
    assert notes is not None and notes.kind == "text" and notes.chunk_count >= 2
    assert docs.search("albatross Quentin")[0].chunk.document_id == notes.id
    assert seen[-1][0] == pytest.approx(1.0)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    assert any(what.startswith("notes.txt: ") for _, what in seen)


def test_same_bytes_are_stored_once_and_not_read_again(
    tmp_path: Path, docs: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = tmp_path / "a.txt"
    original.write_text(prose(2))
    first = ingest_file(original, docs.path)  # a database path: opened and closed for this file
    assert first.status == "added" and first.document is not None
    copy = tmp_path / "copy of a.txt"
    copy.write_bytes(original.read_bytes())

    def must_not_read(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a stored document was read again")

    monkeypatch.setattr(ingest, "read_document", must_not_read)
    again = ingest_file(copy, docs)
    assert (again.status, again.ok, again.document) == ("duplicate", True, first.document)
    assert counts(docs)[0] == 1


def test_the_hash_is_streamed_and_matches(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * (ingest.HASH_BLOCK_BYTES * 2 + 5))
    assert file_sha256(path) == (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size)


def test_cancel_while_storing_leaves_nothing_and_stops_the_batch(tmp_path: Path, docs: DocumentStore) -> None:
    big, later = tmp_path / "big.txt", tmp_path / "later.txt"
    big.write_text(prose(400))  # about 230K characters: several hundred chunks
    later.write_text(prose(1))
    cancel = threading.Event()

    def cancel_once_storing(_share: float, what: str) -> None:
        if "storing" in what and "chunks" in what:
            cancel.set()  # some chunks are already inserted in the open transaction

    results = list(ingest_paths([big, later], docs, progress=cancel_once_storing, cancel=cancel))
    assert [(r.path.name, r.status) for r in results] == [("big.txt", "cancelled")]
    assert "big.txt" in results[0].message
    assert counts(docs) == (0, 0, 0)
    docs.db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")


def test_cancel_while_reading_leaves_nothing(tmp_path: Path, docs: DocumentStore) -> None:
    path = tmp_path / "a.txt"
    path.write_text(prose(5))
    cancel = threading.Event()

    def cancel_once_reading(_share: float, what: str) -> None:
        if not what.endswith("checking"):
            cancel.set()  # the reader has started: it stops at its next report

    results = list(ingest_paths([path], docs, progress=cancel_once_reading, cancel=cancel))
    assert [r.status for r in results] == ["cancelled"]
    assert counts(docs) == (0, 0, 0)


def test_missing_and_unsupported_files_and_empty_folders_are_reported(
    tmp_path: Path, docs: DocumentStore
) -> None:
    (tmp_path / "nothing").mkdir()
    (tmp_path / "odd.xyz").write_text("text in a file with a suffix nobody reads")
    (tmp_path / "good.txt").write_text(prose(1))
    paths = [tmp_path / "missing.txt", tmp_path / "odd.xyz", tmp_path / "nothing", tmp_path / "good.txt"]
    results = {r.path.name: r for r in ingest_paths(paths, docs)}
    assert results["good.txt"].status == "added"
    for name in ("missing.txt", "odd.xyz", "nothing"):
        assert results[name].status == "failed" and name in results[name].message


def test_a_locked_database_fails_each_file_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    DocumentStore(open_database(path))
    (tmp_path / "a.txt").write_text(prose(1))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        blocked = DocumentStore(open_database(path, busy_timeout_s=0.1))
        [result] = ingest_paths([tmp_path / "a.txt"], blocked)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.status == "failed"
    assert result.message.startswith("a.txt: ") and "locked" in result.message
    assert DocumentStore(open_database(path)).list() == []
