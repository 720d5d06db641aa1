"""The command line's log: every command writes to LONGWIT_HOME/logs/longwit.log; an unexpected
error is one line saying where its traceback went, an expected one is one line in both places, and
a log folder it cannot write is said once without stopping the command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from desktop.cli import main as cli_main
from desktop.diagnostics.log_file import shown_path
from tests.conftest import read_only_folder
from tests.desktop.test_cli import longwit as longwit_process


def longwit(*args: str) -> Result:
    return CliRunner().invoke(cli_main.main, list(args), catch_exceptions=False)


def log_text(home: Path) -> str:
    return (home / "logs" / "longwit.log").read_text(encoding="utf-8")


def test_an_unexpected_error_is_one_line_naming_the_log_that_holds_its_traceback(
        longwit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_store() -> None:
        raise KeyError("conversations")  # a bug: nothing in the code expects this

    monkeypatch.setattr(cli_main, "open_store", broken_store)
    result = longwit("history")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    log_file = longwit_home / "logs" / "longwit.log"
    assert lines[0] == ("Error: something unexpected went wrong (KeyError: 'conversations'); "
                        f"details in {shown_path(log_file)}")
    log = log_text(longwit_home)
    assert " ERROR [MainThread] longwit.errors: longwit history: unexpected KeyError" in log
    assert "Traceback (most recent call last)" in log and "broken_store" in log


def test_an_expected_error_is_the_same_one_line_in_the_log(longwit_home: Path) -> None:
    result = longwit("history", "--id", "99")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Error: There is no conversation 99; `longwit history` lists the "
                                     "ones there are.")
    log = log_text(longwit_home)
    assert " WARNING [MainThread] longwit.errors: longwit history: There is no conversation 99" in log
    assert "Traceback" not in log and "details in" not in result.stderr


def test_a_read_only_log_folder_is_said_once_and_the_command_still_works(longwit_home: Path) -> None:
    logs = longwit_home / "logs"
    logs.mkdir(parents=True)
    with read_only_folder(logs) as prefix:
        result = longwit_process(longwit_home, "history", prefix=prefix)
    assert result.returncode == 0, result.stderr
    assert "No conversations yet" in result.stdout
    said = [line for line in result.stderr.splitlines() if "cannot write its log" in line]
    assert len(said) == 1 and "Traceback" not in result.stderr
    assert list(logs.iterdir()) == []
