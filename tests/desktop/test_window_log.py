"""The window's log: an unexpected error in a background task leaves its traceback in the log and a
banner that says where the log is; an expected one is a line; Qt's warnings go there too; and a log
folder the window cannot write is one banner, not a crash."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, qWarning

from desktop.diagnostics.log_file import active_log_path, shown_path, start_log
from desktop.window import app
from desktop.window.app_settings import AppSettings, save_settings
from desktop.window.controllers import document_controller
from tests.desktop.window_helpers import MODEL_LOAD_MS, ask, open_test_window


def log_text(home: Path) -> str:
    return (home / "logs" / "longwit.log").read_text(encoding="utf-8")


def test_an_unexpected_error_in_a_background_task_is_logged_and_the_banner_says_where(
        qtbot, longwit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_test_window(qtbot, longwit_home)
    start_log()

    def broken_ingest(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the chunk list was empty")  # a bug, not a bad file

    monkeypatch.setattr(document_controller, "ingest_paths", broken_ingest)
    notes = tmp_path / "notes.txt"
    notes.write_text("The keeper wound the clockwork of the lamp.\n")
    with qtbot.waitSignal(window.documents.failed, timeout=10_000):
        window.pane.add_documents([notes])
    log_file = longwit_home / "logs" / "longwit.log"
    assert window.banner.message() == (
        "The documents could not be read: something unexpected went wrong (RuntimeError: the chunk "
        f"list was empty); details in {shown_path(log_file)}")
    log = log_text(longwit_home)
    assert "ERROR [longwit-read-documents] longwit.errors: the background task read-documents: " \
           "unexpected RuntimeError" in log
    assert "Traceback (most recent call last)" in log and "broken_ingest" in log


def test_an_expected_error_is_a_banner_and_one_line_in_the_log(qtbot, longwit_home: Path,
                                                               tmp_path: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    start_log()
    with qtbot.waitSignal(window.chat.model_failed, timeout=MODEL_LOAD_MS):
        window.chat.load_model(str(tmp_path / "missing.gguf"), window.settings.load_options())
    assert "missing.gguf" in window.banner.message() and "details in" not in window.banner.message()
    lines = [line for line in log_text(longwit_home).splitlines() if "missing.gguf" in line]
    assert len(lines) == 1 and " WARNING [longwit-model] longwit.errors: loading " in lines[0]
    assert "Traceback" not in log_text(longwit_home)


def start_the_window(qtbot, home: Path):
    """The window as `longwit app` opens it (app.open_window), on settings of the test's own."""
    qsettings = QSettings(str(home.parent / "settings.ini"), QSettings.Format.IniFormat)
    save_settings(qsettings, AppSettings(n_ctx=2048, max_tokens=16))
    window = app.open_window(qsettings)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.chat.card is not None, timeout=MODEL_LOAD_MS)
    return window


def test_the_window_starts_the_log_in_its_data_folder_and_qt_warnings_go_there(
        qtbot, longwit_home: Path) -> None:
    window = start_the_window(qtbot, longwit_home)
    assert active_log_path() == longwit_home / "logs" / "longwit.log"
    assert not window.banner.message()
    qWarning("a Qt warning for the log")
    assert " WARNING [MainThread] longwit.qt: default: a Qt warning for the log" in log_text(longwit_home)


def test_a_log_folder_the_window_cannot_write_is_a_banner_and_the_window_works(
        qtbot, longwit_home: Path) -> None:
    longwit_home.mkdir(parents=True)
    (longwit_home / "logs").write_text("a file where the log folder should be")
    window = start_the_window(qtbot, longwit_home)
    assert "cannot write its log" in window.banner.message()
    assert active_log_path() is None and window.chat.card is not None


def test_the_debug_logging_setting_puts_questions_in_the_log_from_the_next_answer(
        qtbot, longwit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LONGWIT_DEBUG", raising=False)
    window = start_the_window(qtbot, longwit_home)
    ask(qtbot, window, "Is a Quokkaberry a fruit?")
    assert "Quokkaberry" not in log_text(longwit_home)
    window.apply_settings(replace(window.settings, debug_logging=True))
    ask(qtbot, window, "Is a Plumquat a fruit?")
    assert "Plumquat" in log_text(longwit_home)
