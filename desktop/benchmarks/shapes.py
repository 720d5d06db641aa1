"""`longwit bench shapes`: what Longwit's design depends on, measured on models of real sizes that
cannot be downloaded here: synthetic GGUFs with the shapes of Qwen2.5-1.5B, Qwen3-4B and
Llama-3.1-8B and random weights (engine/model_shapes, engine/synthetic_gguf).

Per shape it writes the file (or finds it in the scratch folder), then per KV cache type and
context length loads it through Longwit's loader and measures: the load from disk; resident memory
against the model picker's estimate (desktop/memory_estimate, the same function); pre-fill speed
on a document-sized prefix; the saved state's size, and its restore from disk against that cold
pre-fill, through Longwit's state cache. A cell whose pre-fill would take longer than
`max_cell_minutes` (foretold from a short pre-fill timed in two parts and the shorter contexts already
measured, as a + b·position per token: desktop/benchmarks/prefill_forecast) is
skipped and said; when a shape and KV type has no cell yet, the longest power of two from 1,024
tokens that fits the time stands in for it, so every shape gets figures. Ctrl-C stops at once
(inside llama.cpp too); what was measured is still returned.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from desktop.benchmarks.prefill_forecast import PrefillForecast
from desktop.benchmarks.shape_cell import (
    Resident,
    TimedStateCache,
    calibrate,
    cold_prefill,
    drop_from_page_cache,
    finish,
    resident,
    restore,
    settled_resident,
    wait_reporting,
)
from desktop.benchmarks.shape_report import cap_analysis
from desktop.memory_estimate import estimate_memory, size_text
from engine.chat_benchmark import machine
from engine.errors import EngineError
from engine.gguf_file import read_gguf_info
from engine.loader import LoadOptions
from engine.model_host import ModelHost, wait_for
from engine.model_shapes import SHAPES, ModelShape
from engine.synthetic_gguf import word_piece_ids, write_synthetic_gguf

Report = Callable[[str], None]
QUESTION_ROOM = 128  # tokens of the window left after the prefix, for a question
MIN_FALLBACK_CONTEXT = 1024
SPARE_DISK = 2**30  # never write a model or a state that would leave less free
UNCAPPED = 2**62  # the bench's own state cache keeps every state; the cap is judged apart


@dataclass(frozen=True)
class ShapesOptions:
    shapes: tuple[str, ...] = ("1.5b", "4b", "8b")
    contexts: tuple[int, ...] = (4096, 16384, 32768)
    kv_types: tuple[str, ...] = ("f16", "q8_0")
    scratch: Path | None = None  # keep the generated files here; None: a folder deleted at the end
    n_threads: int | None = None
    max_cell_minutes: float = 15.0
    seed: int = 0


@dataclass(frozen=True)
class Cell:
    shape: ModelShape
    path: Path
    kv_type: str
    context: int
    instead_of: int | None = None  # the context this one stands in for

    @property
    def label(self) -> str:
        return f"{self.shape.name} {self.kv_type} {self.context:,}"


@contextlib.contextmanager
def scratch_folder(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="longwit-bench-shapes-") as folder:
        yield Path(folder)


def model_file(shape: ModelShape, folder: Path, seed: int, report: Report,
               cancel: threading.Event) -> tuple[Path, float | None]:
    """The shape's GGUF in the scratch folder, written unless a whole one of this shape is there;
    with the seconds writing took (None: found)."""
    path = folder / f"synthetic-{shape.name}-{shape.architecture}-Q4_0-seed{seed}.gguf"
    with contextlib.suppress(EngineError):
        info = read_gguf_info(path)
        if (info.architecture, info.block_count, info.embedding_length) == \
                (shape.architecture, shape.layers, shape.hidden_size):
            report(f"{shape.name}: using {path.name} ({size_text(info.file_size)})")
            return path, None
    needed = shape.parameter_count() * 5 // 8  # Q4_0 and Q8_0 come to under 5 bits a weight
    free = shutil.disk_usage(folder).free
    if free - needed < SPARE_DISK:
        raise EngineError(f"Not enough disk in {folder} for the {shape.name} shape: it needs about "
                          f"{needed / 1e9:.1f} GB and {free / 1e9:.1f} GB is free.")
    report(f"{shape.name}: writing {shape.model}'s shape with random weights "
           f"({shape.parameter_count() / 1e9:.2f} B parameters)…")
    started, shown = time.perf_counter(), [0]

    def progress(done: int, total: int) -> None:
        tenth = done * 10 // total
        if tenth > shown[0]:
            shown[0] = tenth
            report(f"{shape.name}: written {size_text(done)} of {size_text(total)}")

    write_synthetic_gguf(shape, path, seed, progress, cancel)
    return path, time.perf_counter() - started


def prefix_and_question(shape: ModelShape, context: int, seed: int) -> tuple[list[int], int]:
    """A document-sized prefix of ordinary tokens filling the window but for a question's room."""
    ids = word_piece_ids(shape)
    drawn = np.random.default_rng(seed).integers(ids.start, ids.stop, context - QUESTION_ROOM + 1)
    tokens = [int(t) for t in drawn]
    return tokens[:-1], tokens[-1]


def pre_fill_and_restore(host: ModelHost, cache: TimedStateCache, cell: Cell, prefix: list[int],
                         question: int, before: Resident, expected_s: float, report: Report,
                         cancel: threading.Event) -> dict[str, Any]:
    """The cold pre-fill and save, then two restores (from the disk, then from the page cache)
    that must give the same next-token logits."""
    cold = wait_reporting(host.submit(
        lambda model: cold_prefill(model, cache, prefix, question, cancel)),
        report, f"{cell.label} pre-fill", expected_s)
    after_prefill = asdict(resident().minus(before))
    drop_from_page_cache(Path(cold["state_file"]))
    disk_s, logits = wait_for(host.submit(
        lambda model: restore(model, cache, prefix, question, cancel)))
    cached_s, _ = wait_for(host.submit(lambda model: restore(model, cache, prefix, question, cancel)))
    return {
        "after_prefill": after_prefill, "prefix_tokens": len(prefix),
        "prefill_s": cold["prefill_s"], "prefill_tokens_per_s": len(prefix) / cold["prefill_s"],
        "save_s": cold["save_s"], "state_bytes": cold["state_bytes"], "restore_disk_s": disk_s,
        "restore_cached_s": cached_s, "restore_speedup": cold["prefill_s"] / disk_s,
        "restored_logit_difference": float(np.max(np.abs(logits - cold["logits"]))),
        "load_average": list(os.getloadavg()),  # the machine may be shared: how busy it was
    }


def measure_cell(cell: Cell, folder: Path, options: ShapesOptions, known: list[tuple[int, float]],
                 report: Report, cancel: threading.Event) -> dict[str, Any]:
    """Load, pre-fill, save and restore for one cell, its time foretold from a short pre-fill
    and the `known` pre-fills of this shape and KV type; a skipped cell says why."""
    estimate = estimate_memory(read_gguf_info(cell.path), cell.context, cell.kv_type, False,
                               psutil.virtual_memory().available)
    result: dict[str, Any] = {"kv_type": cell.kv_type, "context": cell.context,
                              "instead_of": cell.instead_of, "estimate_bytes": estimate.total_bytes}
    state_guess = cell.shape.kv_bytes_per_token(cell.kv_type) * cell.context
    if shutil.disk_usage(folder).free - state_guess < SPARE_DISK:
        return result | {"skipped": f"its state (about {state_guess / 1e9:.1f} GB) would fill the disk"}
    prefix, question = prefix_and_question(cell.shape, cell.context, options.seed)
    cache = TimedStateCache(folder / "states", folder / "states.db", max_bytes=UNCAPPED)
    host = ModelHost(folder)
    load = LoadOptions(n_ctx=cell.context, max_ctx=cell.context, kv_type=cell.kv_type,
                       n_threads=options.n_threads, seed=options.seed)
    try:
        result["load_from_disk"] = drop_from_page_cache(cell.path)
        before = settled_resident()
        started = time.perf_counter()
        try:
            card = host.load(str(cell.path), load)
        except EngineError as error:
            return result | {"skipped": str(error)}
        result |= {"load_s": time.perf_counter() - started, "llama_load_s": card.load_s,
                   "n_threads": card.n_threads, "after_load": asdict(resident().minus(before))}
        calibration = wait_for(host.submit(lambda model: calibrate(model, prefix, cancel)))
        forecast = PrefillForecast.fit([*known, *calibration])
        expected_s = forecast.seconds(len(prefix))
        result |= {"calibration": calibration, "foretold_prefill_s": expected_s,
                   "short_prefill_tokens_per_s": calibration[0][0] / calibration[0][1]}
        report(f"{cell.label}: loaded in {result['load_s']:.1f} s; pre-filling {len(prefix):,} "
               f"tokens, about {expected_s / 60:.1f} min ({forecast.tokens_per_s(len(prefix)):.1f} "
               f"tok/s over the window)…")
        if expected_s > options.max_cell_minutes * 60:
            return result | {"skipped": f"its pre-fill would take about {expected_s / 60:.0f} min"}
        result |= pre_fill_and_restore(host, cache, cell, prefix, question, before, expected_s,
                                       report, cancel)
        report(f"{cell.label}: {result['prefill_tokens_per_s']:.1f} tok/s; state "
               f"{size_text(result['state_bytes'])} saved in {result['save_s']:.2f} s, restored "
               f"from disk in {result['restore_disk_s']:.2f} s "
               f"({result['restore_speedup']:,.0f}× the pre-fill)")
        return result
    except BaseException:
        cancel.set()  # before close() waits on the model's thread: a pre-fill stops at once
        raise
    finally:
        with contextlib.suppress(EngineError, RuntimeError):
            host.call(lambda model: finish(model, cache))
        host.close()


def fallback_context(forecast: PrefillForecast, limit_s: float, too_long: int) -> int | None:
    """The longest power of two under `too_long`, from 1,024 tokens, pre-filled within the limit."""
    context = 1 << (too_long - 1).bit_length() - 1
    while context >= MIN_FALLBACK_CONTEXT:
        if forecast.seconds(context - QUESTION_ROOM) <= limit_s:
            return context
        context //= 2
    return None


def known_prefills(cells: list[dict[str, Any]], kv_type: str) -> list[tuple[int, float]]:
    """Every pre-fill timed for this shape and KV type, (tokens, seconds): the windows measured and
    the short calibrations, skipped cells' included."""
    points: list[tuple[int, float]] = []
    for cell in cells:
        if cell.get("kv_type", kv_type) != kv_type:
            continue
        if "prefill_s" in cell:
            points.append((cell["prefix_tokens"], cell["prefill_s"]))
        points += [(int(n), float(s)) for n, s in cell.get("calibration", [])]
    return points


def measure_kv_type(shape: ModelShape, path: Path, kv_type: str, folder: Path,
                    options: ShapesOptions, entry: dict[str, Any], skipped: list[dict[str, Any]],
                    report: Report, cancel: threading.Event) -> None:
    limit_s = options.max_cell_minutes * 60
    for context in sorted(options.contexts):
        cell = Cell(shape, path, kv_type, context)
        known = known_prefills(entry["cells"], kv_type)
        forecast = PrefillForecast.fit(known) if known else None
        if context > shape.context_length:
            result = {"skipped": f"longer than the model's trained {shape.context_length:,} tokens"}
        elif forecast is not None and forecast.seconds(context - QUESTION_ROOM) > limit_s:
            # Not loaded at all: foretold from the pre-fills already timed.
            result = {"skipped": f"its pre-fill would take over "
                                 f"{forecast.seconds(context - QUESTION_ROOM) / 60:.0f} min"}
        else:
            result = measure_cell(cell, folder, options, known, report, cancel)
            entry["cells"].append(result)
        if "skipped" not in result:
            continue
        report(f"{cell.label}: skipped: {result['skipped']}")
        skipped.append({"shape": shape.name, "kv_type": kv_type, "context": context,
                        "reason": result["skipped"]})
        known = known_prefills(entry["cells"], kv_type)
        if not known or "pre-fill would take" not in result["skipped"]:
            continue
        if not any("prefill_s" in c and c["kv_type"] == kv_type for c in entry["cells"]):
            shorter = fallback_context(PrefillForecast.fit(known), limit_s, context)
            if shorter is not None:
                report(f"{cell.label}: measuring {shorter:,} tokens instead")
                stand_in = replace(cell, context=shorter, instead_of=context)
                entry["cells"].append(measure_cell(stand_in, folder, options, known, report, cancel))


def measure_shape(shape: ModelShape, folder: Path, options: ShapesOptions, result: dict[str, Any],
                  report: Report, cancel: threading.Event) -> None:
    entry: dict[str, Any] = {
        "name": shape.name, "model": shape.model, "architecture": shape.architecture,
        "parameters": shape.parameter_count(), "trained_context": shape.context_length,
        "kv_bytes_per_token": {kv: shape.kv_bytes_per_token(kv) for kv in options.kv_types},
        "cells": [],
    }
    result["shapes"].append(entry)
    path, entry["write_s"] = model_file(shape, folder, options.seed, report, cancel)
    entry["file_bytes"] = path.stat().st_size
    for kv_type in options.kv_types:
        measure_kv_type(shape, path, kv_type, folder, options, entry, result["skipped"], report,
                        cancel)
    if options.scratch is None:
        path.unlink(missing_ok=True)  # gigabytes: gone as soon as the shape is done


def run_shapes_benchmark(options: ShapesOptions, report: Report) -> dict[str, Any]:
    """Measure every shape; on Ctrl-C, what was measured so far with `interrupted` set."""
    result: dict[str, Any] = {
        "benchmark": "shapes", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"memory_bytes": psutil.virtual_memory().total,
                                "load_average_start": list(os.getloadavg())},
        "options": asdict(options) | {"scratch": str(options.scratch) if options.scratch else None},
        "shapes": [], "skipped": [], "interrupted": False,
    }
    cancel = threading.Event()
    try:
        with scratch_folder(options.scratch) as folder:
            for name in options.shapes:
                measure_shape(SHAPES[name], folder, options, result, report, cancel)
    except KeyboardInterrupt:
        cancel.set()
        result["interrupted"] = True
    result["machine"]["load_average_end"] = list(os.getloadavg())
    result["state_cache"] = cap_analysis(result)
    return result
