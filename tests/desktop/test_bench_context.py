"""`longwit bench context` end to end on a small window: the needle grid, the cold/warm/restored
table (the restored run is a separate process that must find the saved state) and ingestion speed.
No timing thresholds: the figures are for the benchmark to report, not for a test to judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli.main import main
from tests.desktop.sql_watch import watch_sql


@pytest.mark.slow
def test_bench_context_prints_tables_and_writes_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "context.json"
    # Documents of 512 tokens: over the 256 worth saving a state for, and half the pre-fill of 1,024
    # (about 400 tokens/s on two cores) at each of the five whole reads.
    arguments = ["bench", "context", "--ctx", "2048", "--lengths", "512", "--depths", "0,100",
                 "--ttft-tokens", "512", "--json", str(out)]
    watch = watch_sql(monkeypatch, None)
    run = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert watch.connections and watch.open_files() == []  # every connection it opened, closed
    result = json.loads(out.read_text())

    needle = result["needle"]
    assert [(c["length"], c["depth"]) for c in needle["cells"]] == [(512, 0.0), (512, 1.0)]
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
