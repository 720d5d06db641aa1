"""How many bits the loaded model needs for a text after a given context: its surprisal.

A model that finds a question easy to predict after a passage has, in a measurable sense,
understood how the passage bears on it (the compression view of understanding). The packer uses
this to rank evidence windows; it is llama.cpp's own log-likelihood, read from the logits of the
positions that predict the scored tokens only (asking llama-cpp-python for every position's logits
would hold n_ctx × vocabulary floats: 1.6 GB for SmolLM2 at 8K).

Tokens are decoded after what the KV cache holds up to `base` and removed again afterwards, so a
cached document prefix stays where it was.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import llama_cpp
import numpy as np

from engine.errors import ScoringFailed
from engine.kv_cache import memory
from engine.loader import LoadedModel

LN2 = math.log(2.0)


def log_softmax_at(row: np.ndarray, token: int) -> float:
    """ln p(token) under one position's logits."""
    peak = float(row.max())
    return float(row[token]) - peak - math.log(float(np.exp(row - peak).sum()))


def continuation_bits(model: LoadedModel, base: int, context: Sequence[int],
                      continuation: Sequence[int]) -> float:
    """Bits the model needs for `continuation` after its first `base` cached tokens and `context`.

    Must run on the model's thread. The cache keeps its first `base` tokens; anything after them
    is gone afterwards (llama-cpp-python is told it must evaluate again before sampling).
    """
    llama = model.llama
    if not continuation:
        return 0.0
    if not context:
        raise ValueError("the first scored token needs a context token before it")
    if base > llama.n_tokens:
        raise ValueError(f"only {llama.n_tokens} tokens are cached, not {base}")
    tokens = [*context, *continuation]
    if base + len(tokens) > model.n_ctx:
        raise ValueError(f"scoring needs {base + len(tokens):,} tokens; the window holds {model.n_ctx:,}")
    ctx = llama._ctx.ctx
    n_vocab = llama.n_vocab()
    first = len(context) - 1  # logits at position i predict token i + 1
    step = llama.n_batch
    batch = llama_cpp.llama_batch_init(step, 0, 1)
    total = 0.0
    llama_cpp.llama_memory_seq_rm(memory(model), -1, base, -1)
    llama.n_tokens = base
    llama._requires_eval = True
    try:
        for start in range(0, len(tokens), step):
            piece = tokens[start : start + step]
            batch.n_tokens = len(piece)
            for i, token in enumerate(piece):
                position = start + i
                batch.token[i] = token
                batch.pos[i] = base + position
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = first <= position < len(tokens) - 1
            status = llama_cpp.llama_decode(ctx, batch)
            if status != 0:
                raise ScoringFailed(status)
            for i in range(len(piece)):
                if batch.logits[i]:
                    row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, i),
                                                shape=(n_vocab,))
                    total -= log_softmax_at(row, tokens[start + i + 1])
    finally:
        llama_cpp.llama_memory_seq_rm(memory(model), -1, base, -1)
        llama_cpp.llama_batch_free(batch)
    return total / LN2

