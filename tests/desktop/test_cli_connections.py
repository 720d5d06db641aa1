"""The command line leaves no SQLite connection open (issue 16.3): the main commands, run in this
process through click's runner one after another in one Longwit home, each close every connection
they opened, on whatever thread opened it: the conversations and documents commands, memories,
export and import, the model list, `ask` and `chat` over a document (whose saved-state cache lives on
the model's thread), `compress`, and a voice call on files. (The benchmarks that run in process are
counted the same way in their own tests, test_bench_*.) The real bundled models and SQLite files;
`sql_watch` sees every connection made, in memory too."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli.main import main
from tests.desktop.sql_watch import SqlWatch, watch_sql
from tests.desktop.test_voice_cli import script

NOTES = ("The keeper of the Velmora light wound its clockwork every night at nine. "
         "Its lamp burned whale oil until 1874, and paraffin after.\n")
ANSWER = ["--max-tokens", "8", "--temperature", "0"]


def run(watch: SqlWatch, *args: str, stdin: str | None = None) -> str:
    """One command; it must succeed and leave no connection open."""
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, f"longwit {' '.join(args)}: {result.output}"
    assert watch.open_files() == [], f"left open by `longwit {' '.join(args)}`"
    return result.output


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> SqlWatch:
    return watch_sql(monkeypatch, None)


def test_the_storage_commands_close_their_connections(watch: SqlWatch, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text(NOTES, encoding="utf-8")
    run(watch, "history")
    run(watch, "docs", "add", str(folder / "notes.txt"))
    run(watch, "docs", "list")
    run(watch, "docs", "reread", "1")
    run(watch, "docs", "folders", "add", str(folder))
    run(watch, "docs", "folders", "list")
    run(watch, "docs", "folders", "scan")
    run(watch, "docs", "limits")
    run(watch, "memory", "add", "My", "name", "is", "Ada")
    run(watch, "memory", "list")
    run(watch, "memory", "pin", "1")
    run(watch, "memory", "history", "1")
    run(watch, "memory", "proposals")
    run(watch, "memory", "settings", "--budget", "300")
    run(watch, "memory", "forget", "1")
    run(watch, "models")
    run(watch, "docs", "remove", "1")
    assert len(watch.connections) >= 17  # the watch saw them


def test_the_model_commands_close_their_connections(watch: SqlWatch, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    run(watch, "ask", "--doc", str(notes), *ANSWER, "When was the clockwork wound?")
    chatted = run(watch, "chat", "--continue", *ANSWER, stdin="I live in Leeds.\n/new\nHello.\n")
    run(watch, "memory", "extract", "1")
    assert "Proposed memory #1: I live in Leeds" in chatted
    run(watch, "memory", "accept", "1")
    run(watch, "history", "--search", "clockwork")
    run(watch, "history", "--id", "1")
    run(watch, "export", "1", "--output", str(tmp_path / "one.json"))
    run(watch, "import", str(tmp_path / "one.json"))
    run(watch, "compress", str(notes))
    mic = script(tmp_path / "mic.wav", 0.5, "Hello there.", 2.5)
    run(watch, "voice", "--mic", str(mic), "--continue", *ANSWER)
    opened_on = {connection.opened_on for connection in watch.connections}
    assert any(name.startswith("longwit-model") for name in opened_on), opened_on  # the states'
    assert len(opened_on) >= 3, opened_on  # and the voice loop's threads

