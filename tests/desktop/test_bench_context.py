"""`longwit bench context` end to end on a small window: the needle grid, the cold/warm/restored
table (the restored run is a separate process that must find the saved state) and ingestion speed.
No timing thresholds: the figures are for the benchmark to report, not for a test to judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli.main import main


@pytest.mark.slow
def test_bench_context_prints_tables_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "context.json"
    arguments = ["bench", "context", "--ctx", "3072", "--lengths", "1024", "--depths", "0,100",
                 "--ttft-tokens", "1024", "--json", str(out)]
    run = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    result = json.loads(out.read_text())

    needle = result["needle"]
    assert [(c["length"], c["depth"]) for c in needle["cells"]] == [(1024, 0.0), (1024, 1.0)]
    assert all(c["mode"] == "full" for c in needle["cells"])
    assert 0 <= needle["accuracy_longwit"] <= 1 and 0 <= needle["accuracy_baseline"] <= 1

    (case,) = result["ttft"]
    assert case["cold"]["prefix"] == "prefilled"
    assert case["warm"]["prefix"] == "warm"
    assert case["restored"]["prefix"] == "restored"  # found on disk by a new process
    assert case["restored"]["prefilled_tokens"] < case["document_tokens"] / 4
    assert case["state_bytes"] > 0

    pdf, text = result["ingestion"]
    assert pdf["status"] == text["status"] == "added"
    assert pdf["pages"] and pdf["pages_per_s"] > 0 and text["mb_per_s"] > 0
    for heading in ("Needle in a haystack", "Time to first token", "Ingestion"):
        assert heading in run.stdout
