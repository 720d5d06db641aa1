"""`longwit bench memory` on a small slice: facts told typed and aloud and asked with memory on and
off, deliberate mode against one sample, the compression meter against plain pre-fill, all on the
real bundled models. The full run is the benchmark; this proves the harness measures what it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.benchmarks.deliberate_questions import Sum, arithmetic_correct, draw_page, draw_sums
from desktop.benchmarks.memory_facts import ASKED, FACTS, STATED, review_proposals
from desktop.cli.main import main
from engine.memory_extraction import stated_facts
from engine.memory_proposals import heard_facts
from storage import open_database
from storage.memory_store import ACCEPTED, REJECTED, MemoryStore
from tests.desktop.sql_watch import watch_sql


def test_every_scripted_fact_is_one_the_engine_proposes_and_both_kinds_come_first() -> None:
    assert len(FACTS) >= 12
    for fact in FACTS:
        proposed = heard_facts(fact.told) or [text for text, _subject in stated_facts(fact.told)]
        assert proposed == [fact.proposal], fact.told
        assert fact.said_by(fact.proposal), fact.told
    assert {fact.how for fact in FACTS[:2]} == {ASKED, STATED}
    assert sum(fact.how == ASKED for fact in FACTS) >= 6 and sum(f.how == STATED for f in FACTS) >= 6


def test_a_person_accepts_the_proposals_that_hold_what_they_told_and_rejects_the_rest(
        tmp_path: Path) -> None:
    memories = MemoryStore(open_database(tmp_path / "longwit.db"))
    told = memories.propose("My sister is called emma").memory
    other_words = memories.propose("My birthday is on the 4th of May").memory
    spelling = memories.propose("My favorite color is green").memory
    misheard = memories.propose("I love the Manchester").memory
    never_said = memories.propose("My name is Emma").memory
    reviewed = review_proposals(memories, FACTS[:8], "spoken")
    assert [r.accepted for r in reviewed] == [True, True, True, False, False]
    assert [memories.get(m.id).status for m in (told, other_words, spelling, misheard, never_said)] \
        == [ACCEPTED, ACCEPTED, ACCEPTED, REJECTED, REJECTED]
    memories.db.conn.close()


def test_sums_follow_the_seed_and_an_answer_is_its_first_new_number() -> None:
    sums = draw_sums(6, seed=2)
    assert sums == draw_sums(6, seed=2) and sums != draw_sums(6, seed=3)
    assert ["+" in s.text for s in sums] == [True, False] * 3
    assert all(s.result not in s.operands for s in sums)
    item = Sum("What is 17 + 25?", (17, 25), 42)
    assert arithmetic_correct("17 + 25 = 42.", item)
    assert arithmetic_correct("The answer is 42", item)
    assert not arithmetic_correct("17 + 25 = 43, or maybe 42", item)
    assert not arithmetic_correct("I cannot say.", item)


def test_the_reading_page_follows_the_seed() -> None:
    article, text, questions = draw_page(5, seed=1)
    assert (article, text, questions) == draw_page(5, seed=1)
    assert len(questions) == 5 and all(not q.impossible for q in questions)
    assert all(q in [q for p in article.paragraphs for q in p.questions] for q in questions)
    assert text.count("\n\n") == 3  # four paragraphs


@pytest.mark.slow
def test_bench_memory_runs_every_part_against_its_baseline(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "memory.json"
    watch = watch_sql(monkeypatch, None)
    run = CliRunner().invoke(main, ["bench", "memory", "--facts", "2", "--arithmetic", "2",
                                    "--reading", "1", "--deliberate", "2", "--meter-tokens", "128",
                                    "--json", str(out)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert watch.connections and watch.open_files() == []  # every connection it opened, closed
    for heading in ("Facts told in earlier conversations", "Deliberate mode (K=2)",
                    "Compression meter against a plain pre-fill", "no memory", "meter / pre-fill"):
        assert heading in run.stdout, heading
    result = json.loads(out.read_text())
    assert set(result) >= {"benchmark", "date", "interrupted", "model", "options", "machine",
                           "memory", "deliberate", "meter"}
    assert result["interrupted"] is False and result["model"]["name"].startswith("smollm2")

    memory = result["memory"]
    assert memory["recall"] is False and memory["speech_model"]
    typed = [a for a in memory["answers"] if a["mode"] == "typed"]
    spoken = [a for a in memory["answers"] if a["mode"] == "spoken"]
    assert len(typed) == len(spoken) == 4  # two questions, memory on and off
    # What the model was shown: each fact told in an earlier conversation is in the memory-on
    # prompt, and nothing is in the memory-off one, typed or spoken.
    assert all(a["fact_shown"] and a["memories_shown"] == 2 for a in typed if a["system"] == "memory")
    assert all(a["memories_shown"] == 0 and not a["fact_shown"]
               for a in memory["answers"] if a["system"] == "no memory")
    assert not any(a["cut"] for a in typed)
    assert any(a["memories_shown"] for a in spoken if a["system"] == "memory")
    assert [p["text"] for p in memory["proposals"] if p["mode"] == "typed"] == \
        ["My sister is called Emma", "My name is Daniel"]
    assert memory["calls"][0]["told"] == [fact.told for fact in FACTS[:2]]
    rows = {(row["mode"], row["system"]): row for row in memory["summary"]}
    assert set(rows) == {(mode, system) for mode in ("typed", "spoken")
                         for system in ("memory", "no memory")}
    assert rows["typed", "memory"]["fact_shown_share"] == 1.0
    assert rows["typed", "memory"]["proposals_accepted"] == 2

    deliberate = result["deliberate"]
    assert [r["kind"] for r in deliberate["records"]] == ["arithmetic", "arithmetic", "reading"]
    for record in deliberate["records"]:
        assert record["samples"] == 2 and record["agreeing"] in (1, 2)
        assert record["single_s"] > 0 and record["deliberate_s"] > 0
    for row in deliberate["summary"]:
        assert set(row) >= {"single_accuracy", "deliberate_accuracy", "agreement", "cost_ratio"}
        assert sum(row["agreement"].values()) == row["questions"]

    meter = result["meter"]
    assert [r["system"] for r in meter["runs"]] == ["meter", "pre-fill", "pre-fill", "meter"]
    assert len({r["tokens"] for r in meter["runs"]}) == 1  # the same tokens both ways
    summary = meter["summary"]
    assert 0 < summary["bits_per_byte"] < 8 and summary["tokens"] <= 128
    assert summary["meter_tokens_per_s"] > 0 and summary["prefill_tokens_per_s"] > 0
