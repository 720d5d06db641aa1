"""One cell of `longwit bench shapes`: a synthetic model (engine/synthetic_gguf) loaded with one
context length and KV cache type through Longwit's loader, and a document-sized prefix pre-filled,
saved and restored through its state cache, as a pinned document is.

Each load and each restore starts from the disk: the model file's and the state file's pages are
dropped from the kernel's page cache first (Linux; elsewhere they may be read from memory), so the
times are those of a person's first load and of a saved document opened in a new session.
Resident memory is read from /proc in two parts: the process's own pages (heap, KV cache, and the
weights llama.cpp repacks for the CPU) and the model file's pages mapped in.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import llama_cpp
import numpy as np
import psutil

from engine.generation import abort_when
from engine.kv_cache import forget_memory
from engine.loader import LoadedModel
from engine.state_cache import StateCache

T = TypeVar("T")
Report = Callable[[str], None]
CALIBRATION_TOKENS = 256  # a short pre-fill, timed twice over, that foretells the long one's time
WARM_UP_TOKENS = 16
HEARTBEAT_S = 60.0


@dataclass(frozen=True)
class Resident:
    own: int  # anonymous pages: heap, KV cache, compute buffers, repacked weights
    mapped_file: int  # pages of mapped files (the model) in memory

    @property
    def total(self) -> int:
        return self.own + self.mapped_file

    def minus(self, other: Resident) -> Resident:
        return Resident(self.own - other.own, self.mapped_file - other.mapped_file)


def resident() -> Resident:
    """This process's resident memory now, split where Linux says how."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
        kilobytes = lambda key: int(fields[key].split()[0]) * 1024  # noqa: E731
        return Resident(kilobytes("RssAnon"), kilobytes("RssFile") + kilobytes("RssShmem"))
    except (OSError, KeyError, ValueError):
        return Resident(psutil.Process().memory_info().rss, 0)


def settled_resident() -> Resident:
    """Resident memory once what is already free has been given back: Python's garbage collected
    and glibc's free heap returned to the system (where it is glibc). Taken as a cell's baseline,
    so that memory freed by the cell before (or by whatever ran earlier in the process) and handed
    back only later does not count against this cell as negative growth."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
            ctypes.CDLL(name).malloc_trim(0)
    return resident()


def drop_from_page_cache(path: Path) -> bool:
    """Ask the kernel to forget the file's cached pages (written out first), so that the next
    read comes from the disk; False where the system cannot be asked (not Linux)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)
    return True


def wait_reporting(future: Future[T], report: Report, label: str, expected_s: float | None = None,
                   every_s: float = HEARTBEAT_S) -> T:
    """Wait for work on the model's thread in short slices (Ctrl-C stays prompt), with a line
    every minute saying how long it has run."""
    started = time.monotonic()
    next_line = started + every_s
    while True:
        try:
            return future.result(timeout=0.05)
        except TimeoutError:
            now = time.monotonic()
            if now >= next_line:
                of = f" of about {expected_s / 60:.0f}" if expected_s else ""
                report(f"{label}: {(now - started) / 60:.0f}{of} min so far…")
                next_line += every_s


class TimedStateCache(StateCache):
    """Longwit's state cache, noting how long its last save took: `prepare` pre-fills and saves
    in one call, and the two times are reported apart."""

    save_s = 0.0

    def save(self, *args: Any, **kwargs: Any) -> bool:
        started = time.perf_counter()
        try:
            return super().save(*args, **kwargs)
        finally:
            self.save_s = time.perf_counter() - started


def last_logits(model: LoadedModel) -> np.ndarray:
    pointer = llama_cpp.llama_get_logits_ith(model.llama._ctx.ctx, -1)
    return np.ctypeslib.as_array(pointer, shape=(model.llama.n_vocab(),)).copy()


def calibrate(model: LoadedModel, tokens: list[int], cancel: threading.Event) -> list[tuple[int, float]]:
    """Two timed points of a short pre-fill from an empty cache, (tokens, seconds): its first
    CALIBRATION_TOKENS and the whole of up to three times as many, which see the cost that grows
    with position (desktop/benchmarks/prefill_forecast). A few tokens first, untimed, so that the
    first timed batch does not also pay for the buffers' first use. The cache is empty after."""
    forget_memory(model)
    with abort_when(model, cancel):
        model.llama.eval(tokens[:WARM_UP_TOKENS])
    forget_memory(model)
    first = tokens[:CALIBRATION_TOKENS]
    rest = tokens[len(first) : 3 * CALIBRATION_TOKENS]
    started = time.perf_counter()
    with abort_when(model, cancel):
        model.llama.eval(first)
        first_s = time.perf_counter() - started
        if rest:
            model.llama.eval(rest)
    points = [(len(first), first_s)]
    if rest:
        points.append((len(first) + len(rest), time.perf_counter() - started))
    forget_memory(model)
    return points


def cold_prefill(model: LoadedModel, cache: TimedStateCache, prefix: list[int], question: int,
                 cancel: threading.Event) -> dict[str, Any]:
    """Pre-fill and save the prefix as a pinned document's first question does, then read one
    more token and keep its logits, which the restored state must give again."""
    forget_memory(model)
    outcome = cache.prepare(model, prefix, len(prefix), cancel)
    if outcome.how != "prefilled" or not outcome.saved:
        raise RuntimeError(f"the state cache {outcome.how} the prefix (saved: {outcome.saved})")
    model.llama.eval([question])
    (saved,) = cache.index.oldest_first()
    return {"prefill_s": outcome.seconds - cache.save_s, "save_s": cache.save_s,
            "state_bytes": saved.size_bytes, "state_file": str(cache.folder / saved.file_name),
            "logits": last_logits(model)}


def restore(model: LoadedModel, cache: TimedStateCache, prefix: list[int], question: int,
            cancel: threading.Event) -> tuple[float, np.ndarray]:
    """Restore the saved prefix into an emptied cache as a new session would; its time, and the
    logits of the same next token."""
    forget_memory(model)
    outcome = cache.prepare(model, prefix, len(prefix), cancel)
    if outcome.how != "restored":
        raise RuntimeError(f"the saved state was not restored ({outcome.how})")
    model.llama.eval([question])
    return outcome.seconds, last_logits(model)


def finish(model: LoadedModel, cache: TimedStateCache) -> None:
    """Delete the cell's saved states (gigabytes each) and close the index on its thread."""
    for saved in cache.index.oldest_first():
        cache.drop(saved)
    cache.close()
    forget_memory(model)
