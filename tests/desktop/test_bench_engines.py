"""`longwit bench engines` end to end on the bundled model: downloads from a loopback server, one cut
mid-file and resumed (by the download itself and by a second `models get`) into a file whose SHA-256
matches; answers in-process, through llama.cpp's server and through `longwit serve`, with their
ratios. No timing thresholds: what must hold is the shape and the accounting. Without llama.cpp's
server, its rows are skipped with a line that says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.benchmarks import openai_servers
from desktop.benchmarks.engines.answers import IN_PROCESS, LLAMA_SERVER, LONGWIT_SERVE
from desktop.benchmarks.engines.runner import ratio_section
from desktop.benchmarks.openai_servers import llama_server_missing
from desktop.cli.main import main


@pytest.mark.slow
def test_bench_engines_prints_a_table_and_writes_json(tmp_path: Path, served_model) -> None:
    out = tmp_path / "engines.json"
    arguments = ["bench", "engines", "--repeats", "1", "--answer-tokens", "8",
                 "--long-prompt-tokens", "128", "--json", str(out)]
    run = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    result = json.loads(out.read_text())

    downloads = result["downloads"]
    assert downloads["sha256"] == served_model.sha256 and downloads["bytes"] == served_model.size
    whole, resumed, second = downloads["rows"]
    for row in (whole, resumed, second):
        assert row["sha256_ok"] and not row["part_left"] and row["mb_per_s"] > 0
    assert whole["resumed_from"] == [] and whole["requests"] == 1
    # The cut came half way; each resume asked for the rest from where the part ended, once.
    for row in (resumed, second):
        (start,) = row["resumed_from"]
        assert 0 < start <= downloads["cut_after"] and row["requests"] == 2
    assert resumed["first_attempt"] is None
    assert "connection was cut mid-file" in second["first_attempt"]

    answers = result["answers"]
    assert answers["llama_server_skipped"] is None  # llama-cpp-python[server] is a test dependency
    assert answers["engines"][IN_PROCESS] is None
    assert answers["engines"][LLAMA_SERVER].startswith("http://127.0.0.1:")
    assert answers["engines"][LONGWIT_SERVE].startswith("http://127.0.0.1:")
    rows = {(row["engine"], row["prompt"]): row for row in answers["rows"]}
    assert set(rows) == {(way, prompt) for way in (IN_PROCESS, LLAMA_SERVER, LONGWIT_SERVE)
                         for prompt in ("short", "long")}
    for row in rows.values():
        assert 1 < row["completion_tokens"] <= 8 and row["ttft_s"] > 0 and row["tokens_per_s"] > 0
    assert rows[(IN_PROCESS, "long")]["prompt_tokens"] > 128 > rows[(IN_PROCESS, "short")]["prompt_tokens"]
    assert len(answers["ratios"]) == 6
    assert all(r["ttft_ratio"] > 0 and r["tokens_per_s_ratio"] > 0 for r in answers["ratios"])
    for heading in ("Downloads:", "Answers:", "Ratios", "longwit serve / llama.cpp server", "Load average"):
        assert heading in run.output


def test_without_llama_cpp_server_its_rows_are_skipped_with_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai_servers, "LLAMA_SERVER_MODULES", ("fastapi", "no_such_module_here"))
    reason = llama_server_missing()
    assert reason is not None and "no_such_module_here" in reason and "[server]" in reason
    text = ratio_section({"ratios": [], "llama_server_skipped": reason})
    assert f"llama.cpp's server: skipped, {reason}." in text
