"""What the KV cache in memory holds, and how much of a new prompt it can serve correctly."""

from __future__ import annotations

from collections.abc import Sequence

import llama_cpp

from engine.loader import LoadedModel


def common_prefix_length(cached: Sequence[int], tokens: Sequence[int]) -> int:
    length = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        length += 1
    return length


def memory(model: LoadedModel):
    return llama_cpp.llama_get_memory(model.llama._ctx.ctx)


def reusable_prefix(model: LoadedModel, tokens: Sequence[int]) -> int:
    """How many leading tokens of `tokens` the KV cache in memory can serve correctly.

    With sliding-window attention (Gemma 3) a restored cache keeps only the last window of the
    windowed layers; rewinding further back than that would attend to cells that are not there,
    so such a rewind gets nothing (llama.cpp's server applies the same rule).
    """
    llama = model.llama
    common = common_prefix_length(llama.input_ids[: llama.n_tokens].tolist(), tokens)
    window = llama_cpp.llama_model_n_swa(llama._model.model)
    if window > 0 and common < llama.n_tokens:
        oldest = llama_cpp.llama_memory_seq_pos_min(memory(model), 0)
        if oldest > 0 and common < oldest + window:
            return 0
    return common


def forget_memory(model: LoadedModel) -> None:
    llama_cpp.llama_memory_clear(memory(model), False)  # metadata only: loads overwrite the cells
    model.llama.n_tokens = 0
