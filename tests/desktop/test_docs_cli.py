"""`longwit docs` through click's runner: add files and folders (a bad file is skipped with one line
naming it, the others still go in, the exit code says so), list them, remove one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from desktop.cli.main import main
from storage import DocumentStore, open_database
from tests.conftest import project_environment

TEXT = "The keeper trimmed the wick and wound the clockwork of the lamp before dusk.\n" * 20


def longwit(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def stored_titles(home: Path) -> list[str]:
    return [d.title for d in DocumentStore(open_database(home / "longwit.db")).list()]


def test_add_list_and_remove(tmp_path: Path, longwit_home: Path) -> None:
    (tmp_path / "lamp notes.txt").write_text(TEXT)
    (tmp_path / "guide.md").write_text("# Guide\n\n" + TEXT)
    added = longwit("docs", "add", str(tmp_path / "lamp notes.txt"), str(tmp_path / "guide.md"))
    assert added.exit_code == 0, added.output
    lines = added.stdout.splitlines()
    assert lines[0].startswith("added #1 lamp notes (") and "text" in lines[0] and "KB" in lines[0]
    assert lines[1].startswith("added #2 ")
    again = longwit("docs", "add", str(tmp_path / "guide.md"))
    assert again.exit_code == 0 and "guide.md: already stored as #2" in again.stdout
    listed = longwit("docs", "list")
    assert listed.exit_code == 0
    assert "lamp notes" in listed.stdout and "markdown" in listed.stdout
    removed = longwit("docs", "remove", "1")
    assert removed.exit_code == 0 and "removed #1 lamp notes" in removed.stdout
    assert len(stored_titles(longwit_home)) == 1


def test_a_folder_with_a_bad_file_adds_the_rest_and_exits_1(tmp_path: Path, longwit_home: Path) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT)
    (folder / "b.txt").write_bytes(bytes(range(256)) * 10)
    (folder / "c.md").write_text("# C\n\n" + TEXT.upper())
    result = longwit("docs", "add", str(folder))
    assert result.exit_code == 1
    assert [line.split(" (")[0] for line in result.stdout.splitlines()] == ["added #1 a", "added #2 C"]
    [reason] = result.stderr.splitlines()
    assert reason.startswith("skipped: ") and "b.txt" in reason
    assert sorted(stored_titles(longwit_home)) == ["C", "a"]


def test_removing_a_missing_document_says_so_in_one_line(longwit_home: Path) -> None:
    empty = longwit("docs", "list")
    assert "No documents yet" in empty.stdout
    result = longwit("docs", "remove", "7")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: There is no document 7; `longwit docs list` lists the ones there are.")


def test_the_installed_command_adds_a_document(tmp_path: Path, longwit_home: Path) -> None:
    (tmp_path / "one.txt").write_text(TEXT)
    child = subprocess.run(
        [sys.executable, "-m", "desktop", "docs", "add", str(tmp_path / "one.txt")],
        capture_output=True, text=True, env=project_environment(LONGWIT_HOME=str(longwit_home)),
        timeout=120, check=False,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith("added #1 one (") and child.stderr == ""


def test_reading_limits_are_shown_set_and_used_by_docs_add(tmp_path: Path, longwit_home: Path) -> None:
    """A file over a limit is refused with a line saying how to raise it; raised, it is read."""
    big = tmp_path / "big.txt"
    big.write_text(TEXT * 1000)  # about 1.5 MB
    shown = longwit("docs", "limits")
    assert shown.exit_code == 0 and "largest file (MB)" in shown.stdout and "512" in shown.stdout
    assert longwit("docs", "limits", "--max-text-file-mb", "1").exit_code == 0
    refused = longwit("docs", "add", str(big))
    assert refused.exit_code != 0
    assert "big.txt is too large to read" in refused.stderr
    assert "raise the limit with `longwit docs limits`" in refused.stderr
    raised = longwit("docs", "limits", "--max-text-file-mb", "2")
    assert "2   --max-text-file-mb" in raised.stdout
    assert longwit("docs", "add", str(big)).exit_code == 0
    assert stored_titles(longwit_home) == ["big"]
    back = longwit("docs", "limits", "--default")
    assert "256   --max-text-file-mb" in back.stdout
