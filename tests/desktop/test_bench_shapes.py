"""`longwit bench shapes` on the tiny shape: the file is written, loaded, pre-filled, saved and
restored through Longwit's own loader and state cache, with every figure in the JSON; a context
whose pre-fill would take too long is skipped and a shorter one measured in its place. The real
shapes are the benchmark (README, "Larger models, by shape"); this proves the harness."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from desktop.benchmarks.prefill_forecast import PrefillForecast
from desktop.benchmarks.shape_report import cap_analysis
from desktop.benchmarks.shapes import ShapesOptions, fallback_context, measure_kv_type
from desktop.cli.main import main
from engine.model_shapes import TINY
from tests.conftest import project_environment

CELL_FIELDS = {"load_s", "estimate_bytes", "after_load", "after_prefill", "prefill_tokens_per_s",
               "save_s", "state_bytes", "restore_disk_s", "restore_cached_s", "restore_speedup"}


def test_bench_shapes_measures_the_tiny_shape_end_to_end(tmp_path: Path) -> None:
    """Run as a person runs it, in a process of its own: resident memory is the process's, and in
    the test process other tests' threads free and allocate tens of megabytes at any time."""
    out = tmp_path / "shapes.json"
    scratch = tmp_path / "scratch"
    run = subprocess.run([
        sys.executable, "-m", "desktop", "bench", "shapes", "--shapes", "tiny", "--contexts", "512",
        "--kv", "f16,q8_0", "--scratch", str(scratch), "--json", str(out),
    ], capture_output=True, text=True, timeout=300, env=project_environment())
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())
    (shape,) = result["shapes"]
    assert shape["name"] == "tiny" and shape["file_bytes"] > 0 and shape["write_s"] is not None
    f16, q8 = shape["cells"]
    for cell in (f16, q8):
        assert cell.keys() >= CELL_FIELDS and cell["prefix_tokens"] == 512 - 128
        assert cell["restored_logit_difference"] < 1e-3  # the restored state is the pre-filled one
        assert cell["after_prefill"]["own"] > cell["after_load"]["own"] > 0  # compute buffers, KV
    assert (f16["kv_type"], q8["kv_type"]) == ("f16", "q8_0")
    assert q8["state_bytes"] < f16["state_bytes"] * 0.6  # 34 bytes per 32 values against 64
    rows = result["state_cache"]["rows"]
    assert [(r["shape"], r["kv_type"], r["source"]) for r in rows] == \
        [("tiny", "f16", "measured"), ("tiny", "q8_0", "measured")]
    assert result["skipped"] == [] and not result["interrupted"]
    assert "tiny   f16" in run.stdout and "The state cache's cap" in run.stdout
    assert list(scratch.glob("*.gguf")) and not list((scratch / "states").glob("*"))  # states gone

    again = CliRunner().invoke(main, [
        "bench", "shapes", "--shapes", "tiny", "--contexts", "512", "--kv", "f16",
        "--scratch", str(scratch), "--json", str(out)])
    assert again.exit_code == 0, again.output
    assert "using synthetic-tiny" in again.stderr
    assert json.loads(out.read_text())["shapes"][0]["write_s"] is None  # the file was reused


def test_a_context_too_slow_to_pre_fill_gives_way_to_the_longest_that_is_not() -> None:
    # 10 tokens/s and 15 minutes: 8,192 tokens would take 13.4 min, 16,384 would take 27.
    ten_a_second = PrefillForecast(0.1, 0.0)
    assert fallback_context(ten_a_second, 15 * 60, 32_768) == 8192
    assert fallback_context(ten_a_second, 15 * 60, 16_384) == 8192
    assert fallback_context(PrefillForecast(2.0, 0.0), 15 * 60, 4096) is None  # not 1,024 in time
    # The same first tokens, each slower the later it stands: 8,192 tokens take 68 min, 4,096 20.
    assert fallback_context(PrefillForecast(0.1, 1e-4), 15 * 60, 32_768) == 2048


def test_two_short_pre_fills_foretell_a_long_one_that_one_alone_underestimates() -> None:
    """Timed as the 1.5B shape was (16 ms a token at first, 80 ms a token over 16K): 256 and 768
    tokens give back both terms, and with them the long window's time; 256 alone, 5 times less."""
    truth = PrefillForecast(0.015, 8e-6)
    points = [(256, truth.seconds(256)), (768, truth.seconds(768))]
    fitted = PrefillForecast.fit(points)
    assert abs(fitted.seconds(16_256) - truth.seconds(16_256)) < 0.01 * truth.seconds(16_256)
    alone = PrefillForecast.fit(points[:1])
    assert alone.per_position_s == 0 and alone.seconds(16_256) < truth.seconds(16_256) / 4
    # Noise that makes the longer pre-fill look cheaper per token than the short one: no negative
    # cost per position, a constant per token instead.
    flat = PrefillForecast.fit([(256, 4.0), (768, 11.0)])
    assert flat.per_position_s == 0 and 11.0 < flat.seconds(768) < 12.0
    with pytest.raises(ValueError):
        PrefillForecast.fit([])


def test_the_cap_analysis_says_when_a_full_window_never_fits() -> None:
    """Qwen3-4B at f16: 144 KiB a token, so a 32K window's state is over the 4 GiB cap."""
    entry = {"name": "4b", "trained_context": 40_960, "cells": [],
             "kv_bytes_per_token": {"f16": 147_456.0, "q8_0": 78_336.0}}
    rows = cap_analysis({"shapes": [entry]})["rows"]
    f16, q8 = rows
    assert f16["source"] == "computed" and f16["longest_in_cap"] == 0
    assert f16["state_bytes"][32_768] > 4 * 2**30 > f16["state_bytes"][16_384]
    assert q8["longest_in_cap"] == 1
    assert f16["longest_in_model_cap"] == q8["longest_in_model_cap"] == 3  # the cap sized by the model


def test_every_context_too_slow_to_pre_fill_is_said_without_loading_the_model(tmp_path: Path) -> None:
    """A shape measured at 512 tokens, slowly: the longer contexts are each recorded as skipped,
    and none is loaded (the file does not even exist)."""
    entry = {"cells": [{"kv_type": "f16", "context": 512, "prefix_tokens": 384, "prefill_s": 384.0,
                        "prefill_tokens_per_s": 1.0}]}
    skipped: list[dict] = []
    options = ShapesOptions(shapes=("tiny",), contexts=(1024, 2048, 8192), kv_types=("f16",),
                            max_cell_minutes=5)
    measure_kv_type(TINY, tmp_path / "absent.gguf", "f16", tmp_path, options, entry, skipped,
                    lambda _line: None, threading.Event())
    assert [(s["context"], s["reason"]) for s in skipped] == [
        (1024, "its pre-fill would take over 15 min"),
        (2048, "its pre-fill would take over 32 min"),
        (8192, "longer than the model's trained 4,096 tokens"),
    ]
    assert len(entry["cells"]) == 1
