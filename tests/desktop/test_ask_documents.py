"""Asking about documents from the command line, in separate processes like a person's shell:
the answer cites the right page of a real PDF, the second process restores the saved state instead
of reading the document again, and a bad document is one clear line."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from storage import ConversationStore, DocumentStore, ProbeStore, open_database
from storage.citations import CitationStore
from tests.desktop.test_cli import longwit
from tests.media.conftest import make_pdf

FILLER = (
    "The harbour office keeps its ledgers in the upstairs room.",
    "The clerks record every ship that enters and leaves, with its cargo and its master.",
    "The hour of the tide is chalked on a board by the door each morning.",
    "Fishing boats unload at the north quay before the market opens.",
    "Visitors may climb the old signal tower on Sundays in summer.",
)
FACTS = {
    2: "The new breakwater was finished in the autumn after three years of work by the masons.",
    3: "An albatross named Quentin nested on the gallery rail of the lighthouse during April.",
    5: "The ferry to the island was cancelled twice in June because of fog over the strait.",
}


def harbour_pdf(path: Path, pages: int = 6) -> Path:
    rng = random.Random(5)
    texts = []
    for page in range(1, pages + 1):
        sentences = list(FILLER)
        rng.shuffle(sentences)  # every page reads differently, and only one holds each fact
        texts.append(" ".join(sentences[:3]) + " " + FACTS.get(page, "") + " " + " ".join(sentences[3:]))
    return make_pdf(path, texts, title="Harbour Report")


def answers(home: Path) -> list:
    store = ConversationStore(open_database(home / "longwit.db"))
    return [m for c in store.list() for m in store.messages(c.id) if m.role == "assistant"]


@pytest.mark.slow
def test_answer_cites_the_page_that_holds_the_fact(longwit_home: Path, tmp_path: Path) -> None:
    pdf = harbour_pdf(tmp_path / "harbour.pdf")
    result = longwit(longwit_home, "ask", "--doc", str(pdf), "--max-tokens", "60", "--temperature", "0",
                     "What was the name of the albatross that nested on the lighthouse?")
    assert result.returncode == 0, result.stderr
    assert "Quentin" in result.stdout
    assert "Sources:" in result.stdout and "p. 3" in result.stdout.split("Sources:")[1]
    assert "full-context mode" in result.stderr
    (answer,) = answers(longwit_home)
    db = open_database(longwit_home / "longwit.db")
    cited = CitationStore(db).for_message(answer.id)
    chunks = {c.id: c for c in DocumentStore(db).chunks(1)}
    assert cited and chunks[cited[0].chunk_id].page == 3


@pytest.mark.slow
def test_second_process_restores_the_saved_document_state(
    longwit_home: Path, tmp_path: Path, chat_model_path: Path
) -> None:
    pdf = harbour_pdf(tmp_path / "harbour.pdf", pages=8)
    # Eight pages are more than SmolLM2's bundled usable context (1K): as if `longwit probe` had
    # found this machine's copy reads 4K, so the document goes in whole and its state is saved.
    ProbeStore(open_database(longwit_home / "longwit.db")).record(
        chat_model_path, 4096, 8192, 8000, 10.0, [], "test")
    first = longwit(longwit_home, "ask", "--doc", str(pdf), "--max-tokens", "20",
                    "When was the breakwater finished?")
    assert first.returncode == 0, first.stderr
    assert "read and their state saved" in first.stderr
    second = longwit(longwit_home, "ask", "--continue", "--max-tokens", "20",
                     "Why was the ferry cancelled?")
    assert second.returncode == 0, second.stderr
    assert "restored from the saved state" in second.stderr
    one, two = answers(longwit_home)
    # Checked by the tokens read, not by time: the second process read only its question.
    assert one.stats.cached_tokens == 0
    assert two.stats.cached_tokens is not None and two.stats.prompt_tokens is not None
    assert two.stats.cached_tokens > 0.8 * two.stats.prompt_tokens
    assert two.stats.prompt_tokens - two.stats.cached_tokens < 200
    # The document's size in this model's tokens is stored and reported.
    counted = DocumentStore(open_database(longwit_home / "longwit.db")).token_count(
        1, str(chat_model_path))
    assert counted is not None and 0.5 * one.stats.prompt_tokens < counted < one.stats.prompt_tokens
    assert f"read all {counted:,} tokens of the document" in second.stderr


def test_bad_document_is_one_clear_line_and_nothing_is_asked(longwit_home: Path, tmp_path: Path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    result = longwit(longwit_home, "ask", "--doc", str(broken), "What does it say?")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert lines == ["Reading broken.pdf…", lines[-1]]  # progress, then the one error line
    assert lines[-1].startswith("Error: broken.pdf") and "damaged" in lines[-1]
    assert answers(longwit_home) == []
