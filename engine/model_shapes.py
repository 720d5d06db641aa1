"""The shapes of real chat models, for building synthetic GGUF files that stand in for them.

Models of 1.5–8B parameters cannot be downloaded where Longwit is developed and tested, yet what
the design depends on (load time, memory, pre-fill speed, the size of a document's saved state)
follows from a model's shape, not from its trained weights. These are the hyperparameters of each
model's published `config.json` on Hugging Face (under Qwen/ and meta-llama/; θ: rope_theta,
ε: rms_norm_eps, tied: tie_word_embeddings):

| shape | model | arch | vocab | hidden | FFN | layers | heads/KV | head | context | θ | ε | tied |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
| 1.5b | Qwen2.5-1.5B-Instruct | qwen2 | 151936 | 1536 | 8960 | 28 | 12/2 | 128 | 32768 | 1e6 | 1e-6 | yes |
| 4b | Qwen3-4B | qwen3 | 151936 | 2560 | 9728 | 36 | 32/8 | 128 | 40960 | 1e6 | 1e-6 | yes |
| 8b | Llama-3.1-8B-Instruct | llama | 128256 | 4096 | 14336 | 32 | 32/8 | 128 | 131072 | 5e5 | 1e-5 | no |

Qwen2.5 has biases on its query, key and value projections; Qwen3 normalizes each head's query
and key (and its head dimension, 128, is not hidden / heads); Llama 3.1 stretches RoPE with its
"llama3" scaling (factor 8 over an original 8,192 tokens), which its GGUF carries as a
`rope_freqs` tensor. `tiny` is none of these: a few small layers of Qwen3's layout for the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.gguf_file import KV_TYPE_BYTES


@dataclass(frozen=True)
class Llama3RopeScaling:
    """Llama 3.1's `rope_scaling` from its config.json."""

    factor: float = 8.0
    low_freq_factor: float = 1.0
    high_freq_factor: float = 4.0
    original_context: int = 8192


@dataclass(frozen=True)
class ModelShape:
    name: str  # what `longwit bench shapes --shapes` calls it
    model: str  # the real model whose shape this is
    architecture: str  # llama.cpp's name for the layout (general.architecture)
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    context_length: int
    rope_theta: float
    rms_norm_eps: float
    tied_embeddings: bool  # the output projection reuses the token embeddings
    qkv_bias: bool = False  # Qwen2
    qk_norm: bool = False  # Qwen3
    rope_scaling: Llama3RopeScaling | None = None
    chat_style: str = "chatml"  # "chatml" (Qwen) or "llama3"

    def kv_bytes_per_token(self, kv_type: str = "f16") -> float:
        """One token of context in the KV cache, over all layers (keys and values)."""
        return self.layers * self.kv_heads * self.head_dim * 2 * KV_TYPE_BYTES[kv_type]

    def parameter_count(self) -> int:
        attention = self.hidden_size * self.head_dim * (2 * self.heads + 2 * self.kv_heads)
        feed_forward = 3 * self.hidden_size * self.intermediate_size
        embeddings = self.vocab_size * self.hidden_size * (1 if self.tied_embeddings else 2)
        return self.layers * (attention + feed_forward) + embeddings

    def rope_factors(self) -> list[float] | None:
        """Llama 3's per-frequency RoPE divisors, as convert_hf_to_gguf.py computes them."""
        scaling = self.rope_scaling
        if scaling is None:
            return None
        low_wavelength = scaling.original_context / scaling.low_freq_factor
        high_wavelength = scaling.original_context / scaling.high_freq_factor
        factors = []
        for i in range(0, self.head_dim, 2):
            wavelength = 2 * math.pi * self.rope_theta ** (i / self.head_dim)
            if wavelength < high_wavelength:
                factors.append(1.0)
            elif wavelength > low_wavelength:
                factors.append(scaling.factor)
            else:
                smooth = ((scaling.original_context / wavelength - scaling.low_freq_factor)
                          / (scaling.high_freq_factor - scaling.low_freq_factor))
                factors.append(1 / ((1 - smooth) / scaling.factor + smooth))
        return factors


QWEN25_15B = ModelShape(
    name="1.5b", model="Qwen2.5-1.5B-Instruct", architecture="qwen2", vocab_size=151_936,
    hidden_size=1536, intermediate_size=8960, layers=28, heads=12, kv_heads=2, head_dim=128,
    context_length=32_768, rope_theta=1_000_000.0, rms_norm_eps=1e-6, tied_embeddings=True,
    qkv_bias=True,
)
QWEN3_4B = ModelShape(
    name="4b", model="Qwen3-4B", architecture="qwen3", vocab_size=151_936, hidden_size=2560,
    intermediate_size=9728, layers=36, heads=32, kv_heads=8, head_dim=128, context_length=40_960,
    rope_theta=1_000_000.0, rms_norm_eps=1e-6, tied_embeddings=True, qk_norm=True,
)
LLAMA31_8B = ModelShape(
    name="8b", model="Llama-3.1-8B-Instruct", architecture="llama", vocab_size=128_256,
    hidden_size=4096, intermediate_size=14_336, layers=32, heads=32, kv_heads=8, head_dim=128,
    context_length=131_072, rope_theta=500_000.0, rms_norm_eps=1e-5, tied_embeddings=False,
    rope_scaling=Llama3RopeScaling(), chat_style="llama3",
)
TINY = ModelShape(
    name="tiny", model="tiny (Qwen3 layout)", architecture="qwen3", vocab_size=1024,
    hidden_size=64, intermediate_size=128, layers=2, heads=4, kv_heads=2, head_dim=32,
    context_length=4096, rope_theta=1_000_000.0, rms_norm_eps=1e-6, tied_embeddings=True,
    qk_norm=True,
)

SHAPES = {shape.name: shape for shape in (TINY, QWEN25_15B, QWEN3_4B, LLAMA31_8B)}
