"""`longwit probe` end to end with the bundled SmolLM2 on a reduced grid: it prints the grid and the
result, stores it for the model file, writes JSON, and `longwit models` then shows it; Ctrl-C
stops it with 130 and stores nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.cli.main import main
from storage import ProbeStore, open_database
from tests.conftest import project_environment, signals_as_from_a_terminal

REDUCED = ["--ctx", "2048", "--lengths", "512,1024", "--depths", "50", "--no-time-window"]


@pytest.mark.slow
def test_probe_prints_stores_and_models_shows_it(longwit_home: Path, chat_model_path: Path,
                                                 tmp_path: Path) -> None:
    out = tmp_path / "results" / "probe.json"
    before = CliRunner().invoke(main, ["models"], catch_exceptions=False)
    assert ("usable ~1,024 tokens (measured for this bundled model; `longwit probe --model "
            "smollm2-135m-instruct` measures it here)") in before.output

    run = CliRunner().invoke(main, ["probe", *REDUCED, "--json", str(out)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert "512 tokens, depth 50%: planted " in run.output  # progress, one line per cell
    assert "depth 50%" in run.output and "verdict" in run.output  # the grid
    result = json.loads(out.read_text())
    assert result["usable_tokens"] in (512, 1024) and result["n_ctx"] == 2048
    assert f"usable context: {result['usable_tokens']:,} tokens of 2,048;" in run.output

    stored = ProbeStore(open_database(longwit_home / "longwit.db")).get(chat_model_path)
    assert stored is not None and stored.usable_tokens == result["usable_tokens"]

    after = CliRunner().invoke(main, ["models"], catch_exceptions=False)
    assert after.exit_code == 0, after.output
    line = f"usable ~{result['usable_tokens']:,} tokens (probed {stored.probed_date})"
    bundled = after.output.split("Recently used:")[0]
    assert line in bundled  # next to the bundled model
    assert line in after.output.split("Recently used:")[1]  # and next to the recently used one
    assert "`longwit probe --model gemma-3-270m` measures it here" in bundled


def test_bad_depths_are_refused() -> None:
    run = CliRunner().invoke(main, ["probe", "--depths", "150"])
    assert run.exit_code == 2 and "percentages" in run.output


@pytest.mark.slow
def test_ctrl_c_exits_130_and_stores_nothing(longwit_home: Path, chat_model_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "probe", "--ctx", "2048", "--lengths", "1024",
         "--depths", "10,50,90"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=project_environment(LONGWIT_HOME=str(longwit_home)),
        preexec_fn=signals_as_from_a_terminal,
    )
    try:
        assert process.stderr is not None
        while "Probing" not in (line := process.stderr.readline()):
            assert line, "the probe ended before it started"
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, errors
    assert "Traceback" not in errors and "Interrupted" in errors
    assert ProbeStore(open_database(longwit_home / "longwit.db")).get(chat_model_path) is None
