"""`longwit docs` through click's runner: add files and folders (a bad file is skipped with one line
naming it, the others still go in, the exit code says so), list them, remove one, read one again,
and watched folders."""

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


def test_reread_replaces_the_passages_or_keeps_the_document_when_the_file_is_gone(
        tmp_path: Path, longwit_home: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("The lamp was lit at dusk.\n", encoding="utf-8")
    assert longwit("docs", "add", str(path)).exit_code == 0
    path.write_text("The gannets came back in May.\n", encoding="utf-8")
    again = longwit("docs", "reread", "1")
    assert again.exit_code == 0 and again.stdout.startswith("Read “log” again (its file had changed)")
    store = DocumentStore(open_database(longwit_home / "longwit.db"))
    assert [hit.chunk.document_id for hit in store.search("gannets")] == [1]
    path.unlink()
    gone = longwit("docs", "reread", "1")
    assert gone.exit_code == 1 and len(gone.stderr.strip().splitlines()) == 1
    assert "no file at" in gone.stderr and "kept as it was" in gone.stderr
    assert [hit.chunk.document_id for hit in store.search("gannets")] == [1]


def test_watched_folders_are_added_scanned_listed_and_removed(tmp_path: Path, longwit_home: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "first.txt").write_text(TEXT)
    (inbox / "junk.txt").write_bytes(bytes(range(256)) * 10)
    added = longwit("docs", "folders", "add", str(inbox))
    assert added.exit_code == 0 and added.stdout.startswith(f"watching #1 {inbox.resolve()}")
    scanned = longwit("docs", "folders", "scan")
    assert scanned.exit_code == 1 and "added #1 first (text)" in scanned.stdout
    assert scanned.stderr.startswith("skipped: ") and "junk.txt" in scanned.stderr
    (inbox / "second.md").write_text("# Second\n\n" + TEXT.upper())
    again = longwit("docs", "folders", "scan")  # the junk was tried once: not again
    assert again.exit_code == 0 and again.stdout.strip() == "added #2 Second (markdown)"
    assert longwit("docs", "folders", "scan").stdout.strip() == "nothing new in the watched folders"
    listed = longwit("docs", "folders", "list")
    assert f"{inbox.resolve()}  2 documents" in listed.stdout
    assert longwit("docs", "list").stdout.count("unused") == 2
    removed = longwit("docs", "folders", "remove", str(inbox))
    assert removed.exit_code == 0 and "stopped watching #1" in removed.stdout
    assert "No watched folders" in longwit("docs", "folders", "list").stdout
    assert sorted(stored_titles(longwit_home)) == ["Second", "first"]
    missing = longwit("docs", "folders", "remove", "9")
    assert missing.exit_code == 1 and "No watched folder is 9" in missing.stderr
