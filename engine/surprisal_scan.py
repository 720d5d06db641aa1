"""The surprisal of every token of a long text under the loaded model, in one pass.

Each token is decoded once, with its logits read as it goes; when the window is full, the oldest
half of the KV cache is dropped and the rest shifted back (llama.cpp's context shift), so a book
costs one pre-fill however long it is and every token keeps at least half a window of context.
Where the model's cache cannot shift, the kept half is decoded again instead: slower, same figures.

The model's own cache is forgotten afterwards (the next chat re-reads its prompt); run it on the
model's thread.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence

import llama_cpp
import numpy as np

from engine.errors import ScoringCancelled, ScoringFailed
from engine.kv_cache import forget_memory, memory
from engine.loader import LoadedModel
from engine.token_surprisal import LN2, fill_batch, log_normalisers

LOGITS_BUDGET_BYTES = 64 * 1024 * 1024  # logits held per batch: 128 rows of Gemma 3's 262K vocabulary


class SurprisalScan:
    """Feed a text's tokens in order; get each token's bits under everything fed before it.

    The first token is predicted from the model's beginning-of-text token alone, which stays at
    the head of the window through every shift (models lean on it as an attention sink).
    """

    def __init__(self, model: LoadedModel, cancel: threading.Event | None = None,
                 keep_fraction: float = 0.5, window: int | None = None,
                 allow_shift: bool = True) -> None:
        self.model = model
        self.llama = model.llama
        self.cancel = cancel or threading.Event()
        self.n_ctx = min(window or model.n_ctx, model.n_ctx)
        self.n_vocab = self.llama.n_vocab()
        self.keep = max(1, int((self.n_ctx - 1) * keep_fraction))
        rows = max(8, LOGITS_BUDGET_BYTES // (4 * self.n_vocab))
        self.step = max(1, min(self.llama.n_batch, rows, self.n_ctx - self.keep - 1))
        self.can_shift = allow_shift and bool(llama_cpp.llama_memory_can_shift(memory(model)))
        self.recent: deque[int] = deque(maxlen=self.keep)
        self.n_past = 0
        self.fed = 0  # tokens of the text scored so far
        # (first token scored after a shift, first token of the text still in the window then)
        self.shift_log: list[tuple[int, int]] = []
        # The last position's logits and normaliser: they give ln p of the token that comes next.
        self.next_row: tuple[np.ndarray, float] | None = None
        self.batch = llama_cpp.llama_batch_init(self.step, 0, 1)
        self.closed = False
        forget_memory(model)
        self.llama._requires_eval = True
        start = self.llama.token_bos()
        if start < 0:
            start = self.llama.token_eos()
        self.start_token = start
        self._decode([start], scored=True)

    def feed(self, tokens: Sequence[int]) -> np.ndarray:
        """Bits of each of `tokens`, given all the text fed before them."""
        bits = np.empty(len(tokens), dtype=np.float64)
        for begin in range(0, len(tokens), self.step):
            if self.cancel.is_set():
                raise ScoringCancelled()
            piece = list(tokens[begin : begin + self.step])
            if self.n_past + len(piece) > self.n_ctx:
                self._make_room()
            logits, normalisers = self._decode(piece, scored=True)
            assert self.next_row is not None
            last_logits, last_normaliser = self.next_row
            bits[begin] = last_normaliser - float(last_logits[piece[0]])
            if len(piece) > 1:
                following = np.asarray(piece[1:])
                picked = logits[np.arange(len(piece) - 1), following].astype(np.float64)
                bits[begin + 1 : begin + len(piece)] = normalisers[:-1] - picked
            self.next_row = (logits[-1].copy(), float(normalisers[-1]))
            self.recent.extend(piece)
            self.fed += len(piece)
        return bits / LN2

    @property
    def shifts(self) -> int:
        return len(self.shift_log)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            llama_cpp.llama_batch_free(self.batch)
            forget_memory(self.model)

    def __enter__(self) -> SurprisalScan:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _make_room(self) -> None:
        """Drop the oldest cells after the first, keeping the last `keep` tokens."""
        kept = list(self.recent)
        self.shift_log.append((self.fed, self.fed - len(kept)))
        discard = self.n_past - 1 - len(kept)
        if self.can_shift:
            mem = memory(self.model)
            llama_cpp.llama_memory_seq_rm(mem, 0, 1, 1 + discard)
            llama_cpp.llama_memory_seq_add(mem, 0, 1 + discard, self.n_past, -discard)
            self.n_past -= discard
            return
        saved_row = self.next_row
        forget_memory(self.model)
        self.n_past = 0
        self._decode([self.start_token], scored=False)
        for begin in range(0, len(kept), self.step):
            self._decode(kept[begin : begin + self.step], scored=False)
        self.next_row = saved_row

    def _decode(self, tokens: list[int], scored: bool) -> tuple[np.ndarray, np.ndarray]:
        """Decode `tokens` at the end of the cache; with `scored`, their logits and each row's
        normaliser (and the last as the prediction for what comes next, at the start)."""
        fill_batch(self.batch, tokens, self.n_past, [scored] * len(tokens))
        status = llama_cpp.llama_decode(self.llama._ctx.ctx, self.batch)
        if status != 0:
            raise ScoringFailed(status)
        self.n_past += len(tokens)
        if not scored:
            return np.empty((0, self.n_vocab), dtype=np.float32), np.empty(0)
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits(self.llama._ctx.ctx),
                                       shape=(len(tokens), self.n_vocab))
        normalisers = log_normalisers(logits)
        if len(tokens) == 1 and self.next_row is None:
            self.next_row = (logits[0].copy(), float(normalisers[0]))
        return logits, normalisers
