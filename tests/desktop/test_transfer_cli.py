"""`longwit export` writes a conversation as Markdown or JSON (to standard output or a file), and
`longwit import` reads the JSON back as a new conversation, here or in another home; what goes
wrong is one line and exit code 1, with the database unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from desktop.cli.main import main
from storage import ConversationStore, database_path, open_database
from tests.storage.conversation_samples import PASSAGES, Sample, stored_sample, table_counts


def longwit(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def sample(longwit_home: Path) -> Sample:
    return stored_sample(open_database(database_path()))


def test_export_prints_markdown_with_the_sources_passages(sample: Sample) -> None:
    result = longwit("export", str(sample.conversation_id))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Who kept the light?\n")
    assert "Ansel Marrow kept it [1]" in result.stdout
    assert "**Velmora harbour records**, p. 3" in result.stdout
    assert PASSAGES[0] in result.stdout


def test_export_json_to_a_file_then_import_it_in_another_home(
        sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "velmora.json"
    result = longwit("export", str(sample.conversation_id), "-o", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"exported #{sample.conversation_id} Who kept the light? (4 messages, json) to {path}")
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "longwit-conversation"

    monkeypatch.setenv("LONGWIT_HOME", str(tmp_path / "other-home"))
    imported = longwit("import", str(path))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.strip() == (
        "imported as #1 Who kept the light? (4 messages; 2 citations kept as quoted passages "
        "(their documents are not stored here))")
    listed = longwit("history")
    assert "4 messages  Who kept the light?" in listed.stdout
    shown = longwit("export", "1", "--format", "markdown")
    assert PASSAGES[1].splitlines()[0] in shown.stdout  # the sources came along without the document


def test_importing_in_the_same_home_links_the_stored_passages(sample: Sample, tmp_path: Path) -> None:
    path = tmp_path / "velmora.json"
    assert longwit("export", str(sample.conversation_id), "--format", "json", "-o", str(path)).exit_code == 0
    imported = longwit("import", str(path))
    assert imported.exit_code == 0, imported.output
    assert "2 citations linked to stored documents; 1 document pinned" in imported.stdout
    store = ConversationStore(open_database(database_path()))
    assert [c.message_count for c in store.list()] == [4, 4, 1]  # and the earlier, recalled one


def test_a_bad_file_is_one_line_and_changes_nothing(sample: Sample, tmp_path: Path) -> None:
    db = open_database(database_path())
    before = table_counts(db)
    path = tmp_path / "notes.json"
    path.write_text('{"format": "longwit-conversation", "version": 1, "title": "x"}', encoding="utf-8")
    result = longwit("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {path} is not a complete Longwit conversation: created is missing; correct it, or "
        "export the conversation again with `longwit export ID --format json` (or Export "
        "conversation… in the window).")
    assert table_counts(db) == before


def test_exporting_an_unknown_conversation_is_one_line(sample: Sample) -> None:
    result = longwit("export", "404")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: There is no conversation 404; `longwit history` lists the ones there are.")
