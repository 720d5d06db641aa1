"""The app's log: a real rotating file under LONGWIT_HOME/logs, started once however often it is
asked for, holding a traceback for every unexpected error and one line for an expected one, and
never stopping the app when it cannot be written."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import pytest

from desktop.diagnostics.error_report import report_error
from desktop.diagnostics.log_file import (
    LogFileHandler,
    LogOptions,
    active_log_path,
    shown_path,
    start_log,
)
from media.errors import DocumentFileMissing


def log_text(home: Path) -> str:
    return (home / "logs" / "longwit.log").read_text(encoding="utf-8")


def our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, LogFileHandler)]


def test_the_log_is_a_file_under_longwit_home_with_time_level_thread_and_logger(longwit_home: Path) -> None:
    started = start_log()
    assert started.writing and started.path == longwit_home / "logs" / "longwit.log"
    logging.getLogger("engine.example").info("a line from the engine")
    line = next(line for line in log_text(longwit_home).splitlines() if "a line from the engine" in line)
    assert " INFO [MainThread] engine.example: a line from the engine" in line
    assert line[:4].isdigit()  # it starts with the time


def test_starting_twice_adds_no_second_handler(longwit_home: Path) -> None:
    start_log()
    start_log()
    assert len(our_handlers()) == 1
    logging.getLogger("storage.example").warning("written once")
    assert log_text(longwit_home).count("written once") == 1


def test_a_new_home_moves_the_log(longwit_home: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    start_log()
    other = tmp_path / "other-home"
    monkeypatch.setenv("LONGWIT_HOME", str(other))
    start_log()
    assert len(our_handlers()) == 1 and active_log_path() == other / "logs" / "longwit.log"
    logging.getLogger("longwit.example").warning("after the move")
    assert "after the move" in log_text(other)
    assert "after the move" not in log_text(longwit_home)


def test_the_log_rotates_and_keeps_its_backups(longwit_home: Path) -> None:
    start_log(LogOptions(max_bytes=2_000, backups=2))
    for number in range(200):
        logging.getLogger("media.example").warning("line %03d %s", number, "x" * 60)
    files = sorted(p.name for p in (longwit_home / "logs").iterdir())
    assert files == ["longwit.log", "longwit.log.1", "longwit.log.2"]
    assert all((longwit_home / "logs" / name).stat().st_size <= 2_000 for name in files)
    assert "line 199" in log_text(longwit_home)


def test_an_unwritable_log_folder_is_said_once_and_nothing_stops(longwit_home: Path) -> None:
    longwit_home.mkdir(parents=True)
    (longwit_home / "logs").write_text("a file where the log folder should be")
    started = start_log()
    assert not started.writing and active_log_path() is None
    notice = started.notice()
    assert notice is not None and "cannot write its log" in notice and "logs" in notice
    logging.getLogger("engine.example").error("goes nowhere, and raises nothing")
    assert "unexpected" in report_error(ValueError("still reported"), "testing")


def test_an_expected_error_is_one_line_without_a_traceback(longwit_home: Path, tmp_path: Path) -> None:
    start_log()
    missing = tmp_path / "gone.pdf"
    message = report_error(DocumentFileMissing(missing), "reading documents")
    assert message == str(DocumentFileMissing(missing)) and "details in" not in message
    lines = [line for line in log_text(longwit_home).splitlines() if line.strip()]
    assert len(lines) == 1 and " WARNING " in lines[0] and "gone.pdf" in lines[0]
    assert "Traceback" not in log_text(longwit_home)


def fail_deep_inside() -> None:
    raise ValueError("the index went past the end")


def test_an_unexpected_error_leaves_its_traceback_and_says_where(longwit_home: Path) -> None:
    start_log()
    try:
        fail_deep_inside()
    except ValueError as error:
        message = report_error(error, "reading documents")
    log = log_text(longwit_home)
    assert " ERROR " in log and "Traceback (most recent call last)" in log
    assert "fail_deep_inside" in log and "ValueError: the index went past the end" in log
    assert "ValueError: the index went past the end" in message
    assert message.endswith(f"details in {shown_path(longwit_home / 'logs' / 'longwit.log')}")


# Our hooks pass each error on to the ones they found: here pytest's and pytest-qt's, which would
# fail the test for it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.qt_no_exception_capture
def test_uncaught_errors_in_threads_and_the_main_thread_are_logged(longwit_home: Path) -> None:
    start_log()

    def work() -> None:
        raise RuntimeError("nobody caught this in the thread")

    thread = threading.Thread(target=work, name="longwit-example")
    thread.start()
    thread.join()
    try:
        fail_deep_inside()
    except ValueError:
        sys.excepthook(*sys.exc_info())  # what Python does with an error nothing caught
    log = log_text(longwit_home)
    assert "Uncaught RuntimeError in longwit-example" in log
    assert "RuntimeError: nobody caught this in the thread" in log
    assert "Uncaught ValueError" in log and "fail_deep_inside" in log


def test_a_path_under_the_home_folder_is_shown_from_tilde() -> None:
    assert shown_path(Path.home() / ".local" / "share" / "longwit" / "logs" / "longwit.log") == \
        str(Path("~/.local/share/longwit/logs/longwit.log"))
    assert shown_path(Path("/elsewhere/longwit.log")) == "/elsewhere/longwit.log"
