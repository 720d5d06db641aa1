"""The document library in the real window, with the bundled model and real files (text, PDF, DOCX):
empty, it says what to do; it lists type, size, pages, date and the conversations using each
document; it finds a document by a word only in its content; it attaches a document to the open
conversation; it reads a changed file again and keeps a document whose file is gone; it removes a
document with its saved states and citations while the citing answer stays readable; watched
folders are read at start and while the window runs (QFileSystemWatcher). The GUI thread runs no
SQL throughout."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QListWidget, QMessageBox, QTableWidget

from desktop.window.dialogs.library_dialog import LibraryDialog
from desktop.window.dialogs.library_text import COLUMNS, EMPTY
from media.document_files import Chapter, write_document
from storage import DocumentStore, database_path, open_database
from storage.citations import CitationStore
from storage.model_states import StateIndex
from storage.watched_folders import WatchedFolders
from tests.desktop.sql_watch import watch_sql
from tests.desktop.window_helpers import (
    ANSWER_MS,
    ask,
    drop_files,
    open_test_window,
    own_database,
    stored_messages,
)

SHOWN_MS = 15_000
WATCHED_MS = 45_000
LOG = ("The keeper of the Velmora light logged every ship that passed the northern reef. " * 6).strip()
LONG_DIARY = "\n\n".join([
    "The harbour of Velmora was rebuilt in 1887 after the great flood.",
    "Its lighthouse keeper, Ansel Marrow, kept a diary of every ship that passed.",
    "The diary records that the schooner Wrenfield ran aground on the northern reef in 1891.",
    *(f"Entry {n}: the wind came from the west, the lamp was trimmed at dusk and the glass was "
      "cleaned at dawn, as the rules of the lighthouse service required." for n in range(1, 15)),
])


def library(qtbot, window) -> LibraryDialog:
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.library_view is not None and window.library_view.isVisible(),
                    timeout=SHOWN_MS)
    return window.library_view


def rows(dialog: LibraryDialog) -> dict[str, list[str]]:
    """The table as shown: title → the other columns."""
    table = dialog.table
    shown = [[table.item(r, c).text() for c in range(len(COLUMNS))] for r in range(table.rowCount())]
    return {row[0]: row[1:] for row in shown}


def choose(dialog: LibraryDialog, title: str) -> None:
    row = next(r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 0).text() == title)
    dialog.table.selectRow(row)


def aged(path: Path) -> Path:
    then = time.time() - 60
    os.utime(path, (then, then))
    return path


def test_the_library_lists_finds_attaches_and_reads_again(qtbot, longwit_home: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    watch = watch_sql(monkeypatch, database_path())
    window = open_test_window(qtbot, longwit_home)
    dialog = library(qtbot, window)
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.empty, timeout=SHOWN_MS)
    assert dialog.empty.text() == EMPTY and "Drop a document" in EMPTY and "add a folder" in EMPTY
    named = [w for kind in (QAbstractButton, QLineEdit, QTableWidget, QListWidget)
             for w in dialog.findChildren(kind) if w.isVisibleTo(dialog)]
    assert len(named) >= 9 and all(w.accessibleName() for w in named), [
        w.text() for w in named if isinstance(w, QAbstractButton) and not w.accessibleName()]

    report = write_document(tmp_path / "report.pdf", "Keepers report",
                            [Chapter("Winter", (LOG,) * 8)])
    notes = write_document(tmp_path / "notes.docx", "Bird notes",
                           [Chapter("Gallery", ("An albatross named Quentin nested on the rail.",))])
    log = tmp_path / "log.txt"
    log.write_text("The supply boat came twice in March.\n", encoding="utf-8")
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        drop_files(window, [report, notes, log])
    first = window.pane.conversation_id
    window.library.refresh()
    qtbot.waitUntil(lambda: len(rows(dialog)) == 3, timeout=SHOWN_MS)
    shown = rows(dialog)
    assert shown["Keepers report"][:1] == ["PDF"] and int(shown["Keepers report"][2]) >= 2
    assert shown["Bird notes"][0] == "Word" and shown["Bird notes"][2] == "–"
    assert shown["log"][:3] == ["Text", "37 bytes", "–"]
    assert all(row[4] == "1 conversation" for row in shown.values())
    assert all(row[3].startswith(time.strftime("%Y-")) for row in shown.values())

    dialog.search.setFocus()
    qtbot.keyClicks(dialog.search, "albatross")  # a word only in the text, not in any title
    qtbot.waitUntil(lambda: list(rows(dialog)) == ["Bird notes"], timeout=SHOWN_MS)
    assert "<b>albatross</b>" in dialog.detail.text() and "Found in its text" in dialog.detail.text()
    dialog.search.setText("keepers")
    qtbot.waitUntil(lambda: list(rows(dialog))[:1] == ["Keepers report"], timeout=SHOWN_MS)
    dialog.search.setText("zanzibar")
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.empty, timeout=SHOWN_MS)
    assert "No document matches “zanzibar”" in dialog.empty.text()
    dialog.search.clear()
    qtbot.waitUntil(lambda: len(rows(dialog)) == 3, timeout=SHOWN_MS)

    window.new_conversation()
    choose(dialog, "Keepers report")
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # Enter attaches to the open conversation
    second = window.pane.conversation_id
    assert second not in (None, first)
    qtbot.waitUntil(lambda: len(window.pane.document_panel.chips) == 1, timeout=SHOWN_MS)
    qtbot.waitUntil(lambda: rows(dialog)["Keepers report"][4] == "2 conversations", timeout=SHOWN_MS)
    choose(dialog, "Bird notes")  # a second one, into the conversation now open
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        qtbot.mouseClick(dialog.attach_button, Qt.MouseButton.LeftButton)
    assert window.pane.conversation_id == second
    qtbot.waitUntil(lambda: len(window.pane.document_panel.chips) == 2, timeout=SHOWN_MS)
    choose(dialog, "Keepers report")
    assert dialog.detail.text().count("href='conv:") == 2
    dialog.detail.linkActivated.emit(f"conv:{first}")  # a click on a conversation's name
    qtbot.waitUntil(lambda: window.pane.conversation_id == first, timeout=SHOWN_MS)
    qtbot.waitUntil(lambda: len(window.pane.document_panel.chips) == 3, timeout=SHOWN_MS)

    log.write_text("The gannets returned to the cliffs in May.\n", encoding="utf-8")
    choose(dialog, "log")
    qtbot.mouseClick(dialog.reread_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "again (its file had changed)" in dialog.status.text(), timeout=ANSWER_MS)
    dialog.search.setText("gannets")
    qtbot.waitUntil(lambda: list(rows(dialog)) == ["log"], timeout=SHOWN_MS)
    qtbot.waitUntil(lambda: not window.chat.busy, timeout=ANSWER_MS)  # the pre-fill of the new text
    log.unlink()
    qtbot.mouseClick(dialog.reread_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no file at" in dialog.status.text(), timeout=ANSWER_MS)
    assert "kept as it was" in dialog.status.text() and not dialog.progress.isVisible()
    assert list(rows(dialog)) == ["log"]  # still stored
    window.close()
    on_gui_thread = list(watch.on_gui_thread)
    assert on_gui_thread == [], on_gui_thread[:10]
    with own_database(window) as db:
        documents = DocumentStore(db)
        stored = {d.title: d for d in documents.list()}
        assert [hit.chunk.document_id for hit in documents.search("gannets")] == [stored["log"].id]
        assert [d.title for d in documents.pinned(second)] == ["Keepers report", "Bird notes"]


def test_removing_takes_states_and_citations_and_the_answer_stays_readable(
        qtbot, longwit_home: Path, tmp_path: Path) -> None:
    diary = tmp_path / "velmora.md"
    diary.write_text("# Velmora diary\n\n" + LONG_DIARY + "\n", encoding="utf-8")
    window = open_test_window(qtbot, longwit_home)
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        drop_files(window, [diary])
    done = ask(qtbot, window, "Which schooner ran aground on the northern reef?")
    assert done.citations, "an answer over a document carries its sources"
    with own_database(window) as db:
        document = DocumentStore(db).list()[0]
        states = StateIndex(db).oldest_first()
        holding = [s for s in states if document.id in StateIndex(db).documents_of(s.key)]
    assert holding, "pre-filling the document saved a state that holds it"
    files = [longwit_home / "states" / s.file_name for s in holding]
    assert all(f.exists() for f in files)

    dialog = library(qtbot, window)
    qtbot.waitUntil(lambda: list(rows(dialog)) == ["Velmora diary"], timeout=SHOWN_MS)
    dialog.table.setFocus()
    choose(dialog, "Velmora diary")
    with qtbot.waitSignal(window.chat.reply_done, timeout=ANSWER_MS):
        window.pane.send("Who kept the diary?")
        qtbot.mouseClick(dialog.reread_button, Qt.MouseButton.LeftButton)  # while it answers: no
        assert "wait for it to finish" in dialog.status.text()
    qtbot.waitUntil(lambda: not window.chat.busy, timeout=ANSWER_MS)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: dialog.removal_box is not None and dialog.removal_box.isVisible(),
                    timeout=SHOWN_MS)
    said = dialog.removal_box.informativeText()
    assert "pinned to 1 conversation(s)" in said and "citation(s) of its passages keep" in said
    assert "saved model state(s) holding it are deleted" in said and str(diary) in said
    remove = next(b for b in dialog.removal_box.buttons()
                  if dialog.removal_box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.stack.currentWidget() is dialog.empty, timeout=SHOWN_MS)
    assert dialog.status.text().startswith("Removed “Velmora diary” (unpinned from 1 conversation(s)")
    qtbot.waitUntil(lambda: len(window.pane.document_panel.chips) == 0, timeout=SHOWN_MS)
    assert not any(f.exists() for f in files) and diary.exists()
    with own_database(window) as db:
        assert db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM conversation_documents").fetchone()[0] == 0
        assert all(StateIndex(db).get(s.key) is None for s in holding)
        sources = CitationStore(db).sources([done.message_id])
    assert sources and all(not s.stored and s.document_title == "Velmora diary" for s in sources)
    answer = next(m for m in stored_messages(window) if m.id == done.message_id)
    assert answer.content == done.text  # the answer itself is untouched
    window.sources.open_citation(done.message_id, sources[0].number)
    qtbot.waitUntil(lambda: window.sources.viewer is not None and window.sources.viewer.isVisible(),
                    timeout=SHOWN_MS)
    assert "not stored here" in window.sources.viewer.where.text()
    assert window.sources.viewer.text.toPlainText() == sources[0].text


def test_watched_folders_are_read_at_start_and_when_files_arrive(
        qtbot, longwit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    aged(write_document(inbox / "early.txt", "Early", [Chapter("One", ("Came while closed.",))]))
    db = open_database(database_path())
    WatchedFolders(db).add(inbox)
    db.conn.close()
    watch = watch_sql(monkeypatch, database_path())
    window = open_test_window(qtbot, longwit_home)
    qtbot.waitUntil(lambda: "Added 1 document from watched folders." in window.banner.message(),
                    timeout=ANSWER_MS)
    dialog = library(qtbot, window)
    qtbot.waitUntil(lambda: list(rows(dialog)) == ["early"], timeout=SHOWN_MS)
    qtbot.waitUntil(lambda: dialog.folders.count() == 1 and "1 document" in dialog.folders.item(0).text(),
                    timeout=SHOWN_MS)
    qtbot.waitUntil(lambda: str(inbox.resolve()) in window.library.watcher.folders(), timeout=SHOWN_MS)

    write_document(inbox / "late.docx", "Late", [Chapter("Two", ("Arrived while open.",))])
    qtbot.waitUntil(lambda: "Late" in rows(dialog), timeout=WATCHED_MS)  # nobody asked for a scan

    other = tmp_path / "papers"
    (other / "deep").mkdir(parents=True)
    aged(write_document(other / "deep" / "paper.pdf", "Paper", [Chapter("Three", (LOG,))]))
    dialog.add_folder(str(other))
    qtbot.waitUntil(lambda: "Paper" in rows(dialog), timeout=ANSWER_MS)
    qtbot.waitUntil(lambda: dialog.folders.count() == 2, timeout=SHOWN_MS)
    dialog.folders.setCurrentRow(0)
    qtbot.mouseClick(dialog.remove_folder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.folders.count() == 1, timeout=SHOWN_MS)
    assert "Stopped watching" in dialog.status.text() and "Late" in rows(dialog)
    window.close()
    assert watch.on_gui_thread == [], watch.on_gui_thread[:10]
