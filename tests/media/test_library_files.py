"""Reading stored documents again and reading the watched folders, on real files (text, PDF, DOCX
written by media/document_files): a changed file replaces the chunks under the same id, a moved or
unreadable file leaves the stored document as it was with one line; a scan reads new files once,
records what could not be read, does not bring back a removed document, and leaves a file that is
still being written for the next scan."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from media.document_files import Chapter, write_document
from media.errors import ReadCancelled, RereadFailed
from media.folder_scan import scan_watched_folders
from media.ingest import ingest_file
from media.reread import reread_document
from storage import ConversationStore, DocumentStore, open_database
from storage.citations import CitationStore
from storage.library import Library
from storage.model_states import SavedState, StateIndex
from storage.watched_folders import WatchedFolders

LONG_PARAGRAPH = ("The keepers logged every passing ship, the weather at each watch and the paraffin "
                  "burned, and the inspector read the log each spring. ") * 12


@pytest.fixture
def documents(longwit_home: Path) -> DocumentStore:
    return DocumentStore(open_database(longwit_home / "longwit.db"))


def aged(path: Path, seconds: float = 60.0) -> Path:
    """As if written a while ago (a scan leaves files younger than a few seconds for later)."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_a_changed_file_is_read_again_under_the_same_id(documents: DocumentStore, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("The lamp was lit at dusk.\n\nThe keeper slept at noon.\n", encoding="utf-8")
    document = ingest_file(path, documents).document
    conversations = ConversationStore(documents.db)
    conversation = conversations.create()
    documents.pin(conversation, document.id)
    answer = conversations.add_message(conversation, "assistant", "At dusk [1].")
    CitationStore(documents.db).add(answer, [(1, documents.chunks(document.id)[0].id, "cited")])
    states = tmp_path / "states"
    states.mkdir()
    (states / "k.state").write_bytes(b"kv")
    StateIndex(documents.db).put(SavedState("k", "m", 300, "s", "k.state", 2, "0", ""), [document.id])

    path.write_text("The lamp was lit at dusk.\n\nA new page: the gannets returned in May.\n",
                    encoding="utf-8")
    seen: list[float] = []
    again = reread_document(document.id, documents, states, progress=lambda s, _m: seen.append(s))
    assert again.changed and again.document.id == document.id and again.states_dropped == 1
    assert again.quoted_citations == 1 and "again" in again.line()
    assert not (states / "k.state").exists()
    assert [hit.chunk.document_id for hit in documents.search("gannets")] == [document.id]
    assert documents.search("slept") == []
    assert documents.pinned(conversation)[0].sha256 == again.document.sha256 != document.sha256
    assert CitationStore(documents.db).sources([answer])[0].text.startswith("The lamp was lit")
    assert seen and seen[-1] == 1.0


@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
def test_pdf_and_docx_are_read_again_with_their_pages_and_sections(
        documents: DocumentStore, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"report{suffix}"
    write_document(path, "Keepers report", [Chapter("Winter", (LONG_PARAGRAPH,) * 3)])
    document = ingest_file(path, documents).document
    write_document(path, "Keepers report", [Chapter("Winter", (LONG_PARAGRAPH,) * 3),
                                            Chapter("Spring", ("The albatross Quentin came back.",))])
    again = reread_document(document.id, documents).document
    assert again.id == document.id and again.chunk_count >= document.chunk_count
    hits = Library(documents.db).search("Quentin")
    assert [entry.document.id for entry in hits] == [document.id]
    if suffix == ".pdf":
        assert again.page_count is not None and again.page_count >= 2
        assert again.kind == "pdf"
    else:
        assert again.kind == "docx"
        assert any(c.section == "Spring" for c in documents.chunks(document.id))


def test_a_moved_or_unreadable_file_leaves_the_document_as_it_was(
        documents: DocumentStore, tmp_path: Path) -> None:
    path = tmp_path / "diary.md"
    path.write_text("# Diary\n\nThe schooner ran aground in 1891.\n", encoding="utf-8")
    document = ingest_file(path, documents).document
    chunks = documents.chunks(document.id)
    path.rename(tmp_path / "moved.md")
    with pytest.raises(RereadFailed) as gone:
        reread_document(document.id, documents)
    line = str(gone.value)
    assert "\n" not in line and "no file at" in line and str(path) in line and "kept" in line
    (tmp_path / "moved.md").rename(path)
    path.write_bytes(b"\x00\x01\x02 binary now \x00" * 50)
    with pytest.raises(RereadFailed, match="kept as it was"):
        reread_document(document.id, documents)
    cancel = threading.Event()
    cancel.set()
    path.write_text("# Diary\n\nRewritten.\n", encoding="utf-8")
    with pytest.raises(ReadCancelled):
        reread_document(document.id, documents, cancel=cancel)
    assert documents.get(document.id) == document and documents.chunks(document.id) == chunks


def test_a_scan_reads_new_files_once_and_remembers_what_it_could_not_read(
        documents: DocumentStore, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / ".hidden").mkdir()
    (inbox / ".hidden" / "secret.txt").write_text("kept out", encoding="utf-8")
    aged(inbox / ".hidden" / "secret.txt")
    aged(write_document(inbox / "alpha.txt", "Alpha", [Chapter("One", ("Alpha text about gulls.",))]))
    aged(write_document(inbox / "sub" / "b.docx", "Beta", [Chapter("Two", ("Beta about terns.",))]))
    broken = inbox / "c.pdf"
    broken.write_bytes(b"not a pdf at all")
    aged(broken)
    folder = WatchedFolders(documents.db).add(inbox)

    first = scan_watched_folders(documents)
    assert sorted(d.title for d in first.added) == ["Beta", "alpha"]  # a text's title: its name
    assert len(first.failed) == 1 and "c.pdf" in first.failed[0] and "\n" not in first.failed[0]
    assert str(inbox / "sub") in first.folders and not any(".hidden" in f for f in first.folders)
    assert not first.settling and not first.cancelled
    assert first.lines()[0] == "Added 2 documents from watched folders."

    again = scan_watched_folders(documents)  # nothing new: nothing read, nothing reported
    assert (again.added, again.failed) == ([], [])

    alpha = next(d for d in first.added if d.title == "alpha")
    documents.remove(alpha.id)
    assert scan_watched_folders(documents).added == []  # a removed document stays removed
    broken.write_text("now plain text", encoding="utf-8")
    broken.rename(inbox / "c.txt")
    aged(inbox / "c.txt")
    fresh = write_document(inbox / "delta.txt", "Delta", [Chapter("Four", ("Delta is new.",))])
    third = scan_watched_folders(documents)
    assert [d.title for d in third.added] == ["c"] and third.settling  # delta.txt is too new yet
    assert [d.title for d in scan_watched_folders(documents, settle_s=0.0).added] == ["delta"]
    assert fresh.exists() and WatchedFolders(documents.db).list()[0].documents == 3
    assert folder.id == WatchedFolders(documents.db).list()[0].id


def test_a_watched_folder_that_is_gone_is_reported(documents: DocumentStore, tmp_path: Path) -> None:
    WatchedFolders(documents.db).add(tmp_path / "never-made")
    scan = scan_watched_folders(documents)
    assert scan.missing == [str((tmp_path / "never-made").resolve())]
    assert "is not there" in scan.lines()[0]


def test_a_scan_reads_nothing_outside_the_watched_folder(documents: DocumentStore, tmp_path: Path) -> None:
    """Links in a watched folder (a synced or unpacked one) cannot lead the scan out of it: a link
    to a file elsewhere is not read, a link to a folder elsewhere is not walked; a link to a file
    inside the folder is read (once: the same text under two names is one document)."""
    private = tmp_path / "private"
    private.mkdir()
    secret = aged(write_document(private / "secret.txt", "Secret",
                                 [Chapter("S", ("The safe code is 4711.",))]))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    own = aged(write_document(inbox / "own.txt", "Own", [Chapter("O", ("Own notes about terns.",))]))
    (inbox / "notes.txt").symlink_to(secret)
    (inbox / "elsewhere").symlink_to(private, target_is_directory=True)
    (inbox / "again.txt").symlink_to(own)
    WatchedFolders(documents.db).add(inbox)
    scan = scan_watched_folders(documents)
    assert len(scan.added) == 1 and "terns" in documents.chunks(scan.added[0].id)[0].text
    assert scan.failed == [] and not any("elsewhere" in f for f in scan.folders)
    assert not any("4711" in chunk.text for d in documents.list() for chunk in documents.chunks(d.id))
