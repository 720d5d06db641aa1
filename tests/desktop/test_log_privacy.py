"""What a person reads and asks stays out of the log: a question about a document, through the real
command, the real reader and the real model, leaves figures in the log but not a word of the
document, the question or the answer; with LONGWIT_DEBUG=1 the question is there."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from desktop.cli.main import main
from storage import ConversationStore, open_database

SECRET = "Zorblatt"  # in the document and the question only: not in any path or title
DOCUMENT = (
    "The lighthouse keeper kept a logbook of every ship that passed the point.\n\n"
    f"The keeper's cat was named {SECRET} and slept on the lamp room stairs.\n\n"
    "Storms in the autumn broke two windows of the keeper's cottage.\n"
)
QUESTION = f"What did {SECRET} the cat do on the stairs?"


def ask_about_the_document(tmp_path: Path) -> Result:
    notes = tmp_path / "keeper notes.txt"
    notes.write_text(DOCUMENT)
    return CliRunner().invoke(main, ["ask", "--ctx", "2048", "--max-tokens", "24", "--doc", str(notes),
                                     QUESTION], catch_exceptions=False)


def every_log(home: Path) -> str:
    return "".join(path.read_text(encoding="utf-8") for path in sorted((home / "logs").iterdir()))


def test_a_question_about_a_document_leaves_none_of_its_text_in_the_log(
        longwit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LONGWIT_DEBUG", raising=False)
    result = ask_about_the_document(tmp_path)
    assert result.exit_code == 0, result.output
    log = every_log(longwit_home)
    assert "engine.chat_session: answer " in log  # the turn was logged, as figures
    assert SECRET not in log and "stairs" not in log
    assert not any(sentence.strip() in log for sentence in DOCUMENT.split("\n\n"))
    answer = ConversationStore(open_database(longwit_home / "longwit.db")).messages(1)[-1].content
    assert answer.strip() and answer.strip()[:40] not in log


def test_with_debug_logging_the_question_is_in_the_log(
        longwit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGWIT_DEBUG", "1")
    result = ask_about_the_document(tmp_path)
    assert result.exit_code == 0, result.output
    log = every_log(longwit_home)
    assert SECRET in log and " DEBUG " in log
    assert "longwit.llama: llama_model_loader: loaded meta data" in log  # llama.cpp's info lines too
