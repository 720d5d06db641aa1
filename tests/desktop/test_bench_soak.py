"""`longwit bench soak` on a small slice, with a 2K window: the database grows in ten measured steps,
a conversation longer than the window is asked in twice, and memory is sampled over a chat and a
short voice call; the fuzzer runs a few dozen cases a target on the app's own code, and a crash
workload is killed once. The full run is the benchmark; this proves the harness measures what it
says, and that what it finds is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.benchmarks.fuzz import Case, FuzzTarget, case_random, run_fuzz
from desktop.benchmarks.fuzz_parsers import draw_body
from desktop.benchmarks.soak import slope_per_100
from desktop.benchmarks.soak_parts import fuzz_everything
from desktop.cli.main import main
from storage import open_database
from tests.desktop.sql_watch import watch_sql

FUZZ_FIELDS = {"part", "target", "case", "seed", "what", "error", "message"}


def test_growth_per_hundred_turns_is_the_least_squares_slope_past_the_warm_up() -> None:
    samples = [(0, 900.0)] + [(turn, 400.0 + turn * 0.5) for turn in range(10, 210, 10)]
    assert slope_per_100(samples) == pytest.approx(50.0)  # the first (warm-up) sample left out
    assert slope_per_100([(0, 1.0), (10, 2.0)]) is None


@pytest.mark.slow
def test_bench_soak_measures_growth_a_long_conversation_and_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "soak.json"
    watch = watch_sql(monkeypatch, None)
    run = CliRunner().invoke(main, [
        "bench", "soak", "--conversations", "10", "--turns", "3", "--documents", "10",
        "--long-turns", "400", "--chat-turns", "10", "--voice-turns", "1", "--json", str(out),
        "--ctx", "2048",  # 400 turns are still ten windows' worth; a quarter of the default to fill
        "--fuzz-cases", "0", "--kill-points", "0",  # both skipped: the test below runs them
    ], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert watch.connections and watch.open_files() == []  # every connection it opened, closed
    result = json.loads(out.read_text())
    assert result["model"]["n_ctx"] == 2048
    growth = result["growth"]
    assert [g["messages"] for g in growth] == [6 * n for n in range(1, 11)]
    assert [g["documents"] for g in growth] == list(range(1, 11))
    assert all(g["database_mb"] > 0 and g["open_ms"] > 0 for g in growth)
    asked = result["long_conversation"]["asked"]
    assert len(asked) == 2 and all(a["answer"].strip() and a["left_out"] > 0 for a in asked)
    assert result["chat_memory"]["turns"] == 10 and result["chat_memory"]["last_mb"] > 0
    assert result["voice_memory"]["turns"] == 1  # the one spoken question was heard
    assert "largest against smallest" in run.stdout
    assert result["fuzz"] is None and result["crash"] is None and result["failures"] == []
    counts = result["processed"]
    assert counts["chat_turns"] == 10 and counts["voice_turns"] == 1 and counts["documents"] == 10
    assert counts["messages"] >= 60 + 2 * 400 + 2 * 2 + 2 * 10  # growth, the long one, the chat
    assert result["peak_rss_mb"] >= result["chat_memory"]["peak_mb"]


def test_fuzzing_the_apps_own_code_finds_no_failure(tmp_path: Path) -> None:
    """Forty cases on each target: damaged files through the app's ingestion, conversations through
    the bundled chat template, answers through the citation filter, bodies through the API parser."""
    lines: list[str] = []
    result = fuzz_everything(tmp_path, 4 * 40, seed=0, report=lines.append)
    assert result["failures"] == [], result["failures"]
    targets = result["targets"]
    assert list(targets) == ["documents", "chat template", "citations", "API requests"]
    assert all(t["cases"] == 40 and t["failures"] == 0 and t["slowest_ms"] > 0 for t in targets.values())
    # Damaged files are refused with a line, and some are still read and stored; bodies likewise.
    assert 0 < targets["documents"]["refused"] < 40 and 0 < targets["API requests"]["refused"] < 40
    db = open_database(tmp_path / "fuzz.db")
    try:
        assert db.execute("SELECT count(*) FROM documents").fetchone()[0] > 0
    finally:
        db.conn.close()
    assert len(lines) == 4 and all("0 failures" in line for line in lines)


def read_as_json(case: Case) -> bool:
    """A wrong target: the API parser's cases read with json.loads, whose errors are not the API's
    typed refusal (InvalidRequest)."""
    json.loads(case.payload[1])
    return False


def test_an_untyped_error_or_a_case_over_its_bound_is_a_failure_with_its_case_number() -> None:
    def broke(number: int) -> bool:
        try:
            read_as_json(draw_body(case_random(3, "json", number)))
        except Exception:
            return True
        return False

    expected = [number for number in range(1, 41) if broke(number)]
    assert 0 < len(expected) < 40  # some bodies are still JSON: the harness must tell them apart
    result = run_fuzz([FuzzTarget("json", draw_body, read_as_json, bound_ms=1000.0)], 40, 3,
                      lambda _line: None)
    assert [found["case"] for found in result["failures"]] == expected
    for found in result["failures"]:
        assert set(found) == FUZZ_FIELDS and found["target"] == "json" and found["seed"] == 3
        assert found["error"] in ("JSONDecodeError", "UnicodeDecodeError", "RecursionError")
        assert found["message"] and "\n" not in found["message"]
    assert result["targets"]["json"]["failures"] == len(expected)
    # A bound no case can meet: every case is a failure, though each returned.
    slow = run_fuzz([FuzzTarget("slow", draw_body, lambda _case: True, bound_ms=-1.0)], 5, 0,
                    lambda _line: None)
    assert [(f["case"], f["error"]) for f in slow["failures"]] == [(n, "OverTimeBound") for n in range(1, 6)]
    assert slow["targets"]["slow"]["refused"] == 5


@pytest.mark.slow
def test_a_part_that_fails_is_reported_and_the_soak_goes_on(tmp_path: Path) -> None:
    """A model that is not there: its parts fail as one, the fuzzing and the kill point still run,
    the table and the JSON say so, and the command exits 1 after writing both."""
    out = tmp_path / "soak.json"
    run = CliRunner().invoke(main, [
        "bench", "soak", "--model", str(tmp_path / "missing.gguf"), "--conversations", "10",
        "--turns", "1", "--documents", "10", "--voice-turns", "0", "--fuzz-cases", "40",
        "--kill-points", "1", "--crash-workloads", "first-start", "--json", str(out),
    ], catch_exceptions=False)
    assert run.exit_code == 1, run.output
    result = json.loads(out.read_text())
    assert [(f["part"], f["error"]) for f in result["failures"]] == [("model", "ModelNotFound")]
    assert result["model"] is None and result["long_conversation"] is None
    assert result["chat_memory"] is None and result["voice_memory"] is None
    assert result["processed"] == {"messages": 20, "documents": 10, "chat_turns": 0, "voice_turns": 0}
    assert result["fuzz"]["cases"] == 40 and "failures" not in result["fuzz"]
    assert all(t["cases"] == 10 and t["failures"] == 0 for t in result["fuzz"]["targets"].values())
    crash = result["crash"]
    assert (crash["points"], crash["killed"], crash["survived"]) == (1, 1, 1)
    assert [w["name"] for w in crash["workloads"]] == ["first-start"]
    assert result["peak_rss_mb"] > 0
    for line in ("processed: 20 messages, 10 documents", "fuzz documents: 10 cases",
                 "kill points first-start: 1/1 survived", "peak memory:", "failures: 1", "  model: "):
        assert line in run.stdout
    assert "the soak found 1 failure " in run.stderr
