"""`longwit bench soak` on a small slice: the database grows in ten measured steps, a conversation
longer than the window is asked in twice, and memory is sampled over a chat and a short voice call.
The full run is the benchmark; this proves the harness measures what it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.benchmarks.soak import slope_per_100
from desktop.cli.main import main


def test_growth_per_hundred_turns_is_the_least_squares_slope_past_the_warm_up() -> None:
    samples = [(0, 900.0)] + [(turn, 400.0 + turn * 0.5) for turn in range(10, 210, 10)]
    assert slope_per_100(samples) == pytest.approx(50.0)  # the first (warm-up) sample left out
    assert slope_per_100([(0, 1.0), (10, 2.0)]) is None


@pytest.mark.slow
def test_bench_soak_measures_growth_a_long_conversation_and_memory(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    run = CliRunner().invoke(main, [
        "bench", "soak", "--conversations", "10", "--turns", "3", "--documents", "10",
        "--long-turns", "400", "--chat-turns", "10", "--voice-turns", "1", "--json", str(out),
    ], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    result = json.loads(out.read_text())
    growth = result["growth"]
    assert [g["messages"] for g in growth] == [6 * n for n in range(1, 11)]
    assert [g["documents"] for g in growth] == list(range(1, 11))
    assert all(g["database_mb"] > 0 and g["open_ms"] > 0 for g in growth)
    asked = result["long_conversation"]["asked"]
    assert len(asked) == 2 and all(a["answer"].strip() and a["left_out"] > 0 for a in asked)
    assert result["chat_memory"]["turns"] == 10 and result["chat_memory"]["last_mb"] > 0
    assert result["voice_memory"]["turns"] == 1  # the one spoken question was heard
    assert "largest against smallest" in run.stdout
