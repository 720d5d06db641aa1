"""`longwit bench chat` runs end to end on the bundled model and reports reuse honestly.

No timing thresholds: shared CI machines are too noisy for them. What must hold regardless of speed
is the shape of the result and the token accounting: Longwit's follow-up reuses the cached
conversation while the plain Llama prefills all of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli.main import main
from tests.desktop.sql_watch import watch_sql

TURN_KEYS = {"ttft_s", "tokens_per_s", "prompt_tokens", "prefilled_tokens", "completion_tokens"}
FOLLOW_UP_KEYS = {
    "history_tokens",
    "prompt_tokens",
    "longwit_first_ttft_s",
    "longwit_ttft_s",
    "baseline_ttft_s",
    "ratio",
    "cached_tokens",
    "prefilled_tokens",
    "baseline_prefilled_tokens",
}


@pytest.mark.slow
def test_bench_chat_prints_a_table_and_writes_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "results" / "chat.json"
    arguments = ["bench", "chat", "--ctx", "2048", "--history-tokens", "512,128",
                 "--long-prompt-tokens", "512", "--answer-tokens", "8", "--repeats", "1",
                 "--json", str(out)]
    watch = watch_sql(monkeypatch, None)
    run = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert watch.connections and watch.open_files() == []  # every connection it opened, closed
    result = json.loads(out.read_text())

    assert result["model"] == "smollm2-135m-instruct"
    assert result["n_ctx"] == 2048
    for key in ("n_threads", "gpu_layers", "followup_ttft_growth", "followup_speedup_at_largest"):
        assert key in result
    assert {"cpu_count", "llama_cpp_version", "gpu_offload"} <= set(result["machine"])
    assert {"longwit_load_s", "longwit_wall_s", "baseline_s", "ratio"} <= set(result["load"])

    for section in ("short_prompt", "long_prompt"):
        case = result[section]
        assert set(case["longwit"]) >= TURN_KEYS and set(case["baseline"]) >= TURN_KEYS
        assert case["longwit"]["prompt_tokens"] == case["baseline"]["prompt_tokens"]
        assert case["longwit"]["completion_tokens"] == case["baseline"]["completion_tokens"]
        assert case["longwit"]["cached_tokens"] == 0  # a first turn starts from an empty cache
    assert 400 <= result["long_prompt"]["message_tokens"] <= 650

    follow_ups = result["follow_up"]
    assert [case["history_tokens"] for case in follow_ups] == [128, 512]
    for case in follow_ups:
        assert set(case) >= FOLLOW_UP_KEYS
        assert case["cached_tokens"] > 0
        assert case["prefilled_tokens"] * 4 < case["prompt_tokens"]
        assert case["baseline_prefilled_tokens"] == case["prompt_tokens"]
    assert follow_ups[1]["prompt_tokens"] > follow_ups[0]["prompt_tokens"]

    assert set(result["cancel"]) == {"during_generation_s", "during_prefill_s", "target_s"}
    for heading in ("Model load", "First turn", "short prompt", "long prompt", "Follow-up",
                    "Cancellation"):
        assert heading in run.stdout
