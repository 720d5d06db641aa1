"""`longwit bench voice` runs end to end on the real models and writes the voice loop's figures.

No timing thresholds: shared CI machines are too noisy for them. What must hold regardless of speed is
the shape of the result: the top-level keys, a breakdown per turn, the baseline and floor stages, and a
table with every section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli.main import main
from tests.desktop.sql_watch import watch_sql

TOP_KEYS = {"latency_p50_s", "latency_p90_s", "baseline_p50_s", "floor_p50_s", "barge_in_p50_s",
            "false_interruptions", "wer", "turns", "ratio_to_baseline", "ratio_to_floor", "machine",
            "vad_frame_s"}
TURN_KEYS = {"text", "heard", "latency_s", "end_of_turn_s", "transcript_s", "first_token_s",
             "first_clause_s", "first_audio_s", "baseline", "floor"}


@pytest.mark.slow
def test_bench_voice_prints_a_table_and_writes_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "results" / "voice.json"
    arguments = ["bench", "voice", "--turns", "2", "--barge-ins", "1", "--echo-turns", "1",
                 "--max-tokens", "40", "--json", str(out)]
    watch = watch_sql(monkeypatch, None)
    run = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert watch.connections and watch.open_files() == []  # every connection it opened, closed
    result = json.loads(out.read_text())

    assert set(result) >= TOP_KEYS
    for key in TOP_KEYS - {"turns", "machine", "barge_in_p50_s", "ratio_to_baseline", "ratio_to_floor"}:
        assert isinstance(result[key], int | float), key
    assert {"cpu_count", "platform", "llama_cpp_version"} <= set(result["machine"])
    assert len(result["turns"]) == 2
    for turn in result["turns"]:
        assert set(turn) >= TURN_KEYS
        assert 0.8 <= turn["baseline"]["end_of_turn_s"] < 1.0  # 0.8 s of silence, as the VAD hears it
        assert set(turn["baseline"]) >= {"transcription_s", "generation_s", "synthesis_s", "total_s"}
        assert set(turn["floor"]) >= {"transcription_s", "first_clause_s", "synthesis_s", "total_s"}
        assert turn["floor"]["total_s"] < turn["baseline"]["total_s"]
    assert len(result["barge_ins"]) == 1 and len(result["echo"]) == 1
    assert 0.0 <= result["wer"] <= 1.0

    for heading in ("Voice benchmark:", "End of speech → first reply audio, per turn",
                    "Baseline and floor, each stage timed alone", "Barge-in", "Echo", "Summary",
                    "baseline / Longwit", "Longwit / floor", "false interruptions"):
        assert heading in run.output, heading
