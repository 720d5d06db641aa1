"""The state cache's size cap when one state is large (a 4B model's 32K-token document is 4.5 GiB):
a state larger than the whole cache is not saved and pushes nothing out, and older states leave
before a new one is written, so the folder never holds more than the cap. On the tiny synthetic
model (engine/synthetic_gguf), whose states are small enough to make a cap of a few of them. The
cap sized by the model keeps room for three of its full windows, within what the disk can spare."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.kv_cache import forget_memory
from engine.loader import LoadedModel, LoadOptions, load_model
from engine.model_shapes import TINY
from engine.state_cache import (
    DEFAULT_MAX_BYTES,
    DISK_RESERVE_BYTES,
    KEPT_WINDOWS,
    StateCache,
    full_window_state_bytes,
    model_sized_cap,
)
from engine.synthetic_gguf import word_piece_ids
from tests.conftest import project_environment

UNCAPPED = 2**62


def tokens(count: int, seed: int) -> list[int]:
    ids = word_piece_ids(TINY)
    return [int(t) for t in np.random.default_rng(seed).integers(ids.start, ids.stop, count)]


@pytest.fixture
def tiny(tiny_shape_model: Path, tmp_path: Path) -> Iterator[LoadedModel]:
    model = load_model(str(tiny_shape_model), LoadOptions(n_ctx=1024), tmp_path)
    yield model
    model.release()


def prepared(cache: StateCache, model: LoadedModel, prefix: list[int]):
    forget_memory(model)
    return cache.prepare(model, prefix, len(prefix), threading.Event())


def test_a_state_larger_than_the_cap_is_not_saved_and_pushes_nothing_out(
        tiny: LoadedModel, longwit_home: Path) -> None:
    folder = longwit_home / "states"
    cache = StateCache(folder, longwit_home / "longwit.db", max_bytes=UNCAPPED)
    small, large = tokens(300, seed=1), tokens(900, seed=2)
    assert prepared(cache, tiny, small).how == "prefilled"
    (kept,) = cache.index.oldest_first()
    cache.max_bytes = kept.size_bytes * 2  # room for the short prefix's state, not the long one's

    outcome = prepared(cache, tiny, large)

    assert outcome.how == "prefilled" and not outcome.saved
    assert [saved.key for saved in cache.index.oldest_first()] == [kept.key]
    assert [path.name for path in folder.iterdir()] == [kept.file_name]
    assert prepared(cache, tiny, large).how == "prefilled"  # nothing was kept to restore
    assert prepared(cache, tiny, small).how == "restored"
    cache.close()


def test_a_state_that_fits_is_saved_and_the_oldest_leaves(tiny: LoadedModel,
                                                          longwit_home: Path) -> None:
    cache = StateCache(longwit_home / "states", longwit_home / "longwit.db", max_bytes=UNCAPPED)
    first, second, third = (tokens(300, seed) for seed in (1, 2, 3))
    prepared(cache, tiny, first)
    (oldest,) = cache.index.oldest_first()
    cache.max_bytes = int(oldest.size_bytes * 2.5)
    prepared(cache, tiny, second)

    outcome = prepared(cache, tiny, third)

    assert outcome.saved
    assert oldest.key not in [saved.key for saved in cache.index.oldest_first()]
    assert cache.index.total_bytes() <= cache.max_bytes
    assert prepared(cache, tiny, second).how == "restored"
    cache.close()


SAVE_THREE = """
import threading
from pathlib import Path
import numpy as np
from engine.kv_cache import forget_memory
from engine.loader import LoadOptions, load_model
from engine.state_cache import (
    DEFAULT_MAX_BYTES,
    DISK_RESERVE_BYTES,
    KEPT_WINDOWS,
    StateCache,
    full_window_state_bytes,
    model_sized_cap,
)
from engine.synthetic_gguf import word_piece_ids
from engine.model_shapes import TINY

model = load_model({model!r}, LoadOptions(n_ctx=1024), Path({home!r}))
cache = StateCache(Path({home!r}) / "states", Path({home!r}) / "longwit.db", max_bytes=2**62)
ids = word_piece_ids(TINY)
for seed in (1, 2, 3):
    prefix = [int(t) for t in np.random.default_rng(seed).integers(ids.start, ids.stop, 300)]
    forget_memory(model)
    cache.prepare(model, prefix, len(prefix), threading.Event())
    if seed == 1:
        cache.max_bytes = int(cache.index.total_bytes() * 2.5)
        Path({home!r}, "cap").write_text(str(cache.max_bytes))
"""


def test_the_folder_never_holds_more_than_the_cap_even_mid_save(tiny_shape_model: Path,
                                                                 tmp_path: Path) -> None:
    """Killed once the third state's file is written, before its rename: the oldest state had
    already left to make room for it."""
    home = tmp_path / "home"
    home.mkdir()
    script = SAVE_THREE.format(model=str(tiny_shape_model), home=str(home))
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=project_environment(LONGWIT_CRASH_AT="state.written:3"), timeout=120,
                           check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    files = list((home / "states").iterdir())
    assert len(files) == 2 and any(path.suffix == ".partial" for path in files)
    assert sum(path.stat().st_size for path in files) <= int((home / "cap").read_text())


def test_the_model_sized_cap_keeps_three_full_windows_within_the_disk() -> None:
    gib = 2**30
    qwen3_4b_32k_f16 = 144 * 1024 * 32768  # 4.5 GiB: over the old fixed cap of 4 GiB
    assert model_sized_cap(qwen3_4b_32k_f16, 0, 1000 * gib) == KEPT_WINDOWS * qwen3_4b_32k_f16
    assert model_sized_cap(50 * 2**20, 0, 1000 * gib) == DEFAULT_MAX_BYTES  # a small model's floor
    # The disk bounds it: what the states hold now plus the free space, less the reserve.
    assert model_sized_cap(qwen3_4b_32k_f16, 3 * gib, 8 * gib) == 11 * gib - DISK_RESERVE_BYTES
    assert model_sized_cap(qwen3_4b_32k_f16, 0, gib) == 0  # a nearly full disk: nothing is saved


def test_a_model_sized_cap_follows_the_model_and_the_disk(tiny: LoadedModel, longwit_home: Path) -> None:
    """The tiny model's full window predicts its states: a state of the whole window fits what
    full_window_state_bytes says. With room on the disk the cap is the 4 GiB floor; with the disk
    short of its reserve, a state is pre-filled but not saved."""
    window = full_window_state_bytes(tiny)
    ample = StateCache(longwit_home / "states", longwit_home / "longwit.db",
                       disk_free=lambda _folder: 1000 * 2**30)
    assert ample.cap(tiny) == DEFAULT_MAX_BYTES
    prefix = tokens(tiny.n_ctx - 8, seed=4)
    assert prepared(ample, tiny, prefix).saved
    (saved,) = ample.index.oldest_first()
    assert 0.97 * window <= saved.size_bytes <= window
    ample.close()

    short = StateCache(longwit_home / "states2", longwit_home / "longwit.db",
                       disk_free=lambda _folder: DISK_RESERVE_BYTES // 2)
    outcome = prepared(short, tiny, tokens(300, seed=5))
    assert outcome.how == "prefilled" and not outcome.saved
    assert not (longwit_home / "states2").exists() or list((longwit_home / "states2").iterdir()) == []
    short.close()
