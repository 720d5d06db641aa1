"""Export and import from the window's File menu: the save dialog's filter picks the format, an
imported conversation opens with its sources (a quoted passage opens alone in the viewer), and a bad
file is a banner that changes nothing. The file dialogs are the only stand-ins: they return a path as
a person choosing one would. No model is loaded: neither action needs one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QUrl

from desktop.window.app_settings import AppSettings
from desktop.window.controllers import transfer_controller
from desktop.window.controllers.transfer_controller import export_target, suggested_export_name
from desktop.window.main_window import MainWindow
from storage import database_path, open_database
from storage.conversation_export import export_conversation
from tests.desktop.window_helpers import own_database, sidebar_rows, stored_messages
from tests.storage.conversation_samples import PASSAGES, stored_sample, table_counts

TASK_MS = 20_000
SHOWN_MS = 5000


def open_window(qtbot, home: Path) -> MainWindow:
    qsettings = QSettings(str(home.parent / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(AppSettings(), qsettings, database_path(), home)
    qtbot.addWidget(window)
    window.show()
    return window


def exported_elsewhere(tmp_path: Path) -> Path:
    """A JSON export from another person's database, whose documents are not stored here."""
    db = open_database(tmp_path / "elsewhere.db")
    path = tmp_path / "velmora.json"
    export_conversation(db, stored_sample(db).conversation_id, path)
    db.conn.close()
    return path


def test_the_save_dialogs_filter_picks_the_format_unless_the_name_has_a_suffix() -> None:
    json_filter, markdown_filter = "JSON, to import again (*.json)", "Markdown, to read (*.md)"
    assert export_target("/t/talk", json_filter) == (Path("/t/talk.json"), "json")
    assert export_target("/t/talk", markdown_filter) == (Path("/t/talk.md"), "markdown")
    assert export_target("/t/talk.json", markdown_filter) == (Path("/t/talk.json"), "json")
    assert export_target("/t/v1.2 notes", json_filter) == (Path("/t/v1.2 notes.json"), "json")


def test_export_from_the_menu_writes_the_open_conversation(
        qtbot, longwit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window(qtbot, longwit_home)
    with own_database(window) as db:
        sample = stored_sample(db)
    window.refresh_sidebar()
    window.open_conversation(sample.conversation_id)
    target = tmp_path / "velmora"
    asked: list[tuple] = []

    def save_dialog(*args: object) -> tuple[str, str]:
        asked.append(args)
        return str(target), "JSON, to import again (*.json)"

    monkeypatch.setattr(transfer_controller.QFileDialog, "getSaveFileName", save_dialog)
    with qtbot.waitSignal(window.transfer.exported, timeout=TASK_MS):
        window.actions_by_name["Export conversation…"].trigger()
    written = json.loads((tmp_path / "velmora.json").read_text(encoding="utf-8"))
    assert [m["content"] for m in written["messages"]][:2] == [
        "Who kept the light?", "Ansel Marrow kept it [1], after 1887 [2]."]
    assert "Exported “Who kept the light?”" in window.banner.message()
    assert asked[0][1:3] == ("Export conversation", "Who kept the light")  # the filter adds a suffix


def test_exporting_with_no_conversation_open_says_what_to_do(qtbot, longwit_home: Path) -> None:
    window = open_window(qtbot, longwit_home)
    window.actions_by_name["Export conversation…"].trigger()
    assert window.banner.message() == "Open a conversation to export it."


def test_import_from_the_menu_opens_the_conversation_with_its_quoted_sources(
        qtbot, longwit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = exported_elsewhere(tmp_path)
    window = open_window(qtbot, longwit_home)
    monkeypatch.setattr(transfer_controller.QFileDialog, "getOpenFileName",
                        lambda *_args: (str(path), transfer_controller.IMPORT_FILTER))
    with qtbot.waitSignal(window.transfer.imported, timeout=TASK_MS) as done:
        window.actions_by_name["Import conversation…"].trigger()
    imported = done.args[0]
    assert window.pane.conversation_id == imported.conversation_id
    qtbot.waitUntil(lambda: len(sidebar_rows(window)) == 1, timeout=SHOWN_MS)
    assert "Who kept the light?" in sidebar_rows(window)[0]
    assert "2 of its sources are kept as quoted passages" in window.banner.message()
    qtbot.waitUntil(lambda: "Ansel Marrow kept it" in window.pane.view.plain_text(), timeout=SHOWN_MS)
    assert "Velmora harbour records, p. 3" in window.pane.view.plain_text()

    answer = stored_messages(window, imported.conversation_id)[1]
    window.pane.view.anchorClicked.emit(QUrl(f"cite:{answer.id}:1"))
    qtbot.waitUntil(lambda: window.sources.viewer is not None and window.sources.viewer.isVisible(),
                    timeout=SHOWN_MS)
    viewer = window.sources.viewer
    assert "its document is not stored here" in viewer.where.text()
    assert viewer.highlighted.replace("\u2029", "\n") == PASSAGES[1]


def test_a_bad_file_is_a_banner_and_changes_nothing(qtbot, longwit_home: Path, tmp_path: Path) -> None:
    window = open_window(qtbot, longwit_home)
    with own_database(window) as db:
        stored_sample(db)
        before = table_counts(db)
    path = tmp_path / "notes.json"
    path.write_text("# Notes\n\nnot an export", encoding="utf-8")
    with qtbot.waitSignal(window.transfer.failed, timeout=TASK_MS):
        window.import_conversation(path)
    assert "is not a JSON file" in window.banner.message()
    with own_database(window) as db:
        assert table_counts(db) == before


def test_the_offered_export_name_stays_in_the_folder_chosen() -> None:
    for title in ("../../.bashrc", "/etc/passwd", "..", "a/b\\c:d", "", "\x00\n"):
        name = suggested_export_name(title)
        assert name and "/" not in name and "\\" not in name and ".." not in name and "\x00" not in name
        assert Path(name).name == name
    assert suggested_export_name("Notes on Moby-Dick, chapter 1") == "Notes on Moby-Dick chapter 1"
