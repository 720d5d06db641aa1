"""`longwit bench answers` on a small slice: real documents written in each format, each question
through the real ask path and the naive baseline, scored on the answer text. The full run is the
benchmark; this proves the harness measures what it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli.answer_report import figures, summarize
from desktop.cli.main import main
from engine.evaluation.scoring import SCORED_WORDS, contains_answer
from tests.desktop.sql_watch import watch_sql


@pytest.mark.slow
def test_bench_answers_runs_both_systems_on_the_same_questions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "answers.json"
    arguments = ["bench", "answers", "--model", "smollm2-135m-instruct", "--sizes", "page",
                 "--questions", "4", "--json", str(out)]
    watch = watch_sql(monkeypatch, None)
    run = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert watch.connections and watch.open_files() == []  # every connection it opened, closed
    result = json.loads(out.read_text())
    records = result["records"]
    longwit = [r for r in records if r["system"] == "longwit"]
    baseline = [r for r in records if r["system"] == "baseline"]
    assert len(longwit) == len(baseline) == 4 + 4  # and one off-document question a page
    assert sum(r["off_document"] for r in longwit) == 4
    assert [r["question_id"] for r in longwit] == [r["question_id"] for r in baseline]
    assert {r["format"] for r in longwit} == {"txt", "pdf", "epub", "docx"}
    for record in records:
        # Scored on the answer's own text, never on the sources it quotes.
        expected = contains_answer(record["answer"], record["golds"], SCORED_WORDS) and not record["refused"]
        assert record["correct"] == (record["refused"] if record["impossible"] else expected)
    assert all(r["mode"] in ("full", "passages") for r in longwit)
    assert all(r["ttft_s"] is not None for r in records)
    # Each question read again: the first reading alone is scored beside what was shown, and
    # where the first was shown, the two are the same answer.
    first = [r for r in records if r["system"] == "first reading"]
    longwit = [r for r in longwit if r["reading"] is not None]  # None: read once, streamed
    assert [r["question_id"] for r in first] == [r["question_id"] for r in longwit]
    for mine, alone in zip(longwit, first, strict=True):
        assert mine["reading"] in (1, 2, 3)
        if mine["reading"] == 1:
            assert mine["answer"] == alone["answer"]
    rows = {(row["bucket"], row["system"]) for row in result["summary"]}
    assert {("page", "longwit"), ("page", "baseline"), ("all", "longwit")} <= rows
    assert "vs baseline" in run.output and "smollm2-135m-instruct" in run.output


def record(correct: bool, impossible: bool = False, refused: bool = False,
           cited_correct: bool | None = None, off_document: bool = False) -> dict:
    return {"model": "m", "system": "longwit", "bucket": "page", "correct": correct,
            "impossible": impossible, "refused": refused, "cited_correct": cited_correct,
            "ttft_s": 0.5, "off_document": off_document}


def test_figures_count_honest_replies_and_citations_apart() -> None:
    result = figures([record(True, cited_correct=True), record(False, cited_correct=False),
                      record(True, impossible=True, refused=True), record(False, refused=True)])
    assert result.accuracy == 0.5
    assert result.answerable_accuracy == pytest.approx(1 / 3)
    assert result.honest_on_unanswerable == 1.0
    assert result.refused_answerable == pytest.approx(1 / 3)
    assert result.citation_precision == 0.5
    assert [row["bucket"] for row in summarize([record(True)])] == ["page", "all"]


def test_off_document_questions_are_counted_apart() -> None:
    squad = [record(True), record(False)]
    off = [record(True, impossible=True, refused=True, off_document=True),
           *[record(False, impossible=True, off_document=True)] * 2]
    result = figures(squad + off)
    assert result.questions == 2 and result.accuracy == 0.5 and result.honest_on_unanswerable is None
    assert result.off_document_questions == 3 and result.honest_off_document == pytest.approx(1 / 3)


@pytest.mark.slow
def test_bench_answers_in_deliberate_mode_scores_its_plain_first_answer_beside(tmp_path: Path) -> None:
    out = tmp_path / "deliberate.json"
    arguments = ["bench", "answers", "--model", "smollm2-135m-instruct", "--sizes", "page",
                 "--questions", "2", "--no-baseline", "--deliberate", "3", "--json", str(out)]
    run = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    result = json.loads(out.read_text())
    assert result["deliberate"] == 3
    longwit = [r for r in result["records"] if r["system"] == "longwit"]
    single = [r for r in result["records"] if r["system"] == "single"]
    assert [r["question_id"] for r in longwit] == [r["question_id"] for r in single]
    assert all(1 <= r["agreeing"] <= 3 for r in longwit)
    # When every sample agrees with the first, the answer shown is the plain one.
    for mine, plain in zip(longwit, single, strict=True):
        if mine["agreeing"] == 3:
            assert mine["answer"] == plain["answer"]
    assert {row["system"] for row in result["summary"]} == {"longwit", "single"}
