"""The memory estimate agrees with the loader's own rules and says when a context will not fit."""

from __future__ import annotations

from pathlib import Path

from desktop.memory_estimate import estimate_memory, fit_text, size_text
from engine.gguf_file import GgufInfo
from engine.loader import OVERHEAD_BYTES, largest_context, memory_needed

INFO = GgufInfo(path=Path("m.gguf"), architecture="llama", name="m", context_length=32768, block_count=30,
                embedding_length=576, head_count=9, head_count_kv=3, key_length=64, value_length=64,
                chat_template=None, file_size=90_000_000)


def test_parts_add_up_to_the_loaders_figure() -> None:
    estimate = estimate_memory(INFO, 4096, "f16", weights_on_gpu=False, available=8_000_000_000)
    assert estimate.total_bytes == memory_needed(INFO, 4096, "f16", weights_on_gpu=False)
    assert estimate.overhead_bytes == OVERHEAD_BYTES
    assert estimate.fits and estimate.warning() is None
    assert estimate.summary().startswith("About 453 MB (weights 90 MB + context 94 MB")


def test_automatic_context_is_the_trained_length_capped_by_memory() -> None:
    roomy = estimate_memory(INFO, None, "f16", False, available=64_000_000_000)
    assert roomy.automatic and roomy.n_ctx == 32768
    tight = 600_000_000
    cramped = estimate_memory(INFO, 0, "f16", False, available=tight)
    assert cramped.n_ctx == largest_context(INFO, "f16", False, tight) < 32768
    assert cramped.fits


def test_too_long_a_context_warns_with_what_fits() -> None:
    estimate = estimate_memory(INFO, 32768, "f16", False, available=600_000_000)
    assert not estimate.fits
    assert f"use {estimate.largest_context:,} tokens or less" in (estimate.warning() or "")
    on_gpu = estimate_memory(INFO, 32768, "f16", True, available=600_000_000)
    assert on_gpu.fits and on_gpu.weights_bytes == 0  # host memory does not hold what the GPU does


def test_sizes_in_words() -> None:
    assert size_text(310_000_000) == "310 MB"
    assert size_text(1_234_000_000) == "1.2 GB"


def test_a_list_of_models_says_whether_each_fits_in_a_phrase() -> None:
    roomy = estimate_memory(INFO, None, "f16", False, available=64_000_000_000)
    assert fit_text(roomy) == "fits: 32,768 tokens in about 1.1 GB"
    assert fit_text(estimate_memory(INFO, None, "f16", False, available=200_000_000)) == (
        "too big for the 200 MB of memory available")
    assert fit_text(estimate_memory(INFO, None, "f16", True, available=200_000_000)).endswith("on the GPU")
