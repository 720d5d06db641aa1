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


def log_normalisers(rows: np.ndarray) -> np.ndarray:
    """ln of each row's softmax denominator (summed in float64: a book adds up millions of them);
    ln p(token) is then the token's logit minus its row's normaliser, with no full row of
    probabilities ever made."""
    peak = rows.max(axis=1)
    sums = np.exp(rows - peak[:, None]).sum(axis=1, dtype=np.float64)
    return peak + np.log(sums)


def fill_batch(batch: llama_cpp.llama_batch, tokens: Sequence[int], first_position: int,
               logits: Sequence[bool]) -> None:
    """Put `tokens` in `batch` at consecutive positions of sequence 0, asking for the logits of
    those whose flag is set."""
    batch.n_tokens = len(tokens)
    for i, token in enumerate(tokens):
        batch.token[i] = token
        batch.pos[i] = first_position + i
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = logits[i]


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
            fill_batch(batch, piece, base + start,
                       [first <= start + i < len(tokens) - 1 for i in range(len(piece))])
            status = llama_cpp.llama_decode(ctx, batch)
            if status != 0:
                raise ScoringFailed(status)
            for i in range(len(piece)):
                if batch.logits[i]:
                    row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, i),
                                                shape=(1, n_vocab))
                    total += float(log_normalisers(row)[0]) - float(row[0, tokens[start + i + 1]])
    finally:
        llama_cpp.llama_memory_seq_rm(memory(model), -1, base, -1)
        llama_cpp.llama_batch_free(batch)
    return total / LN2

