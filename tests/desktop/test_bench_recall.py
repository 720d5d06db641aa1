"""`longwit bench recall` on a small slice: paragraphs stored as earlier conversations and as
documents, each question asked in a new conversation with recall on and off through the real chat
path. The full run is the benchmark; this proves the harness measures what it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.benchmarks.recall import (
    ALONE,
    AS_CONVERSATION,
    AS_DOCUMENT,
    NEVER_STORED,
    RECALL,
    RecallBenchmarkOptions,
    draw_cases,
)
from desktop.cli.main import main
from engine.evaluation.scoring import SCORED_WORDS, contains_answer
from tests.desktop.sql_watch import watch_sql


def test_cases_are_drawn_by_the_seed_half_conversations_half_documents() -> None:
    cases = draw_cases(RecallBenchmarkOptions(questions=6, controls=2, seed=3))
    assert [c.stored_as for c in cases] == [AS_CONVERSATION, AS_DOCUMENT] * 3 + [NEVER_STORED] * 2
    assert cases == draw_cases(RecallBenchmarkOptions(questions=6, controls=2, seed=3))
    assert cases != draw_cases(RecallBenchmarkOptions(questions=6, controls=2, seed=4))
    assert all(c.question in c.paragraph.questions and not c.question.impossible for c in cases)


@pytest.mark.slow
def test_bench_recall_asks_each_question_with_recall_on_and_off(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "recall.json"
    watch = watch_sql(monkeypatch, None)
    run = CliRunner().invoke(main, ["bench", "recall", "--questions", "2", "--controls", "1",
                                    "--json", str(out)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert watch.connections and watch.open_files() == []  # every connection it opened, closed
    assert "answer recalled" in run.stdout and "no recall" in run.stdout
    result = json.loads(out.read_text())
    records = result["records"]
    on = [r for r in records if r["system"] == RECALL]
    off = [r for r in records if r["system"] == ALONE]
    assert [r["question"] for r in on] == [r["question"] for r in off] and len(on) == 3
    assert all(r["recalled"] == 0 and not r["gold_recalled"] for r in off)
    # The stored document's paragraph is found for its question (recall is BM25: no model involved).
    document = next(r for r in on if r["stored_as"] == AS_DOCUMENT)
    assert document["recalled"] >= 1 and document["gold_recalled"]
    never = next(r for r in on if r["stored_as"] == NEVER_STORED)
    assert not never["gold_recalled"]
    for record in records:  # scored on the answer text alone
        assert record["correct"] == contains_answer(record["answer"], record["golds"], SCORED_WORDS)
    assert {row["stored_as"] for row in result["summary"]} >= {AS_DOCUMENT, "stored", NEVER_STORED}
