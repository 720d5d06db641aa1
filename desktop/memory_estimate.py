"""How much memory a model will take before it is loaded, in words a person can act on.

The model picker shows this while the context length and GPU layers are being chosen, so that a
context too large for the machine is seen before llama.cpp tries to allocate it; the picker's
download list and `longwit models catalogue` use it to say which models fit before one is
downloaded (so it sits beside both faces, and imports no Qt). The figures are the
loader's own (`engine.loader.memory_needed`, `largest_context`), so the picker and the loader agree on
what fits; this module only adds the arithmetic of the parts and the wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.gguf_file import GgufInfo
from engine.loader import DEFAULT_MAX_CTX, MIN_CTX, OVERHEAD_BYTES, largest_context


def size_text(size: float) -> str:
    """Decimal units, as file managers show them: '310 MB', '1.2 GB'."""
    if size >= 1e9:
        return f"{size / 1e9:.1f} GB"
    return f"{max(size, 0) / 1e6:.0f} MB"


@dataclass(frozen=True)
class MemoryEstimate:
    """Host memory a load would need, in parts, against what the system has available."""

    n_ctx: int  # the context length the load would use (resolved when "automatic")
    automatic: bool
    weights_bytes: int  # 0 when the weights go to the GPU
    context_bytes: int  # the KV cache for n_ctx tokens
    overhead_bytes: int  # llama.cpp's compute buffers and Python
    available_bytes: int
    largest_context: int  # the longest context that fits in host memory
    weights_on_gpu: bool

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.context_bytes + self.overhead_bytes

    @property
    def fits(self) -> bool:
        # With the model on the GPU the cache is there too; GPU memory cannot be read portably, so
        # (like the loader) only host memory is judged, and then only when it holds the model.
        return self.weights_on_gpu or self.n_ctx <= self.largest_context

    def summary(self) -> str:
        weights = "weights on the GPU" if self.weights_on_gpu else f"weights {size_text(self.weights_bytes)}"
        context = f"context {size_text(self.context_bytes)}"
        return (
            f"About {size_text(self.total_bytes)} ({weights} + {context} + "
            f"working memory {size_text(self.overhead_bytes)}) for {self.n_ctx:,} tokens"
            f"{' (automatic)' if self.automatic else ''}; {size_text(self.available_bytes)} available."
        )

    def warning(self) -> str | None:
        if self.fits:
            return None
        if self.largest_context < MIN_CTX:
            return (
                "This model does not fit in the memory available now; close other programs "
                "or pick a smaller model."
            )
        return (
            f"A {self.n_ctx:,}-token context will not fit in the memory available now; "
            f"use {self.largest_context:,} tokens or less, or close other programs."
        )


def estimate_memory(
    info: GgufInfo, n_ctx: int | None, kv_type: str, weights_on_gpu: bool, available: int
) -> MemoryEstimate:
    """The estimate for a requested context length (None or 0: what the loader would choose)."""
    fits = largest_context(info, kv_type, weights_on_gpu, available)
    automatic = not n_ctx
    if automatic:
        # The loader's rule for no --ctx (engine.loader.choose_context): the trained length, capped.
        n_ctx = max(MIN_CTX, min(info.context_length, DEFAULT_MAX_CTX, fits or MIN_CTX))
    else:
        n_ctx = max(MIN_CTX, int(n_ctx))
    return MemoryEstimate(
        n_ctx=n_ctx,
        automatic=automatic,
        weights_bytes=0 if weights_on_gpu else info.file_size,
        context_bytes=int(info.kv_bytes_per_token(kv_type) * n_ctx),
        overhead_bytes=OVERHEAD_BYTES,
        available_bytes=available,
        largest_context=fits,
        weights_on_gpu=weights_on_gpu,
    )


def fit_text(estimate: MemoryEstimate) -> str:
    """A model list's column: whether it fits now, and with how long a context."""
    if not estimate.fits:
        return f"too big for the {size_text(estimate.available_bytes)} of memory available"
    where = "on the GPU" if estimate.weights_on_gpu else f"in about {size_text(estimate.total_bytes)}"
    return f"fits: {estimate.n_ctx:,} tokens {where}"
