"""Loading a GGUF model: pick the context size, threads, GPU layers and cache types, check memory
first, and hand back a LoadedModel that knows how to format chats for itself."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import llama_cpp
import psutil
from gguf import GGMLQuantizationType

from engine import llama_log
from engine.catalog import ModelRef, resolve_model
from engine.chat_format import ChatFormat, ChatMessage
from engine.errors import ContextTooLarge, EngineError, ModelLoadFailed
from engine.gguf_file import KV_TYPE_BYTES, GgufInfo, read_gguf_info

DEFAULT_MAX_CTX = 32768
MIN_CTX = 256
# Headroom for llama.cpp's compute buffers and Python itself, beyond weights and KV cache.
OVERHEAD_BYTES = 256 * 2**20
MEMORY_SHARE = 0.85  # of what the system reports available

GGML_KV_TYPES = {name: int(GGMLQuantizationType[name.upper()]) for name in KV_TYPE_BYTES}


@dataclass(frozen=True)
class LoadOptions:
    """How to load a model. None means "choose for this machine and this model"."""

    n_ctx: int | None = None  # default: the trained length, capped by max_ctx and by memory
    max_ctx: int = DEFAULT_MAX_CTX
    n_threads: int | None = None  # default: every core
    gpu_layers: int | Literal["auto"] = "auto"  # auto: all layers when the build can offload
    flash_attn: bool = True  # faster long-context prefill on CPU too (DESIGN.md)
    kv_type: str = "f16"
    n_batch: int = 512
    seed: int = 0


@dataclass
class LoadedModel:
    """A llama.cpp model ready to use. Only the thread that loaded it may call into `llama`."""

    llama: llama_cpp.Llama
    ref: ModelRef
    info: GgufInfo
    options: LoadOptions
    n_ctx: int
    gpu_layers: int
    n_threads: int
    load_s: float
    chat_format: ChatFormat
    # Figures derived from long texts (a system prompt holding whole documents), kept so that each
    # turn tokenizes such a text once rather than several times; see ContextPacker.
    memo: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.ref.name

    def text_tokens(self, text: str) -> list[int]:
        """The tokens of plain text as it sits inside a prompt: no BOS, and a special token's
        spelling in a document ("<|im_end|>") read as the characters it is."""
        return self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def count_tokens(self, text: str) -> int:
        return len(self.text_tokens(text))

    def prompt_text_tokens(self, text: str) -> list[int]:
        """A rendered prompt's tokens: control tokens' spellings are those tokens, and BOS is
        added unless the template already wrote it."""
        bos = self.chat_format.bos_token
        add_bos = not (bos and text.startswith(bos))
        return self.llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def prompt_tokens(self, messages: list[ChatMessage], cue: str = "Assistant:") -> list[int]:
        """The prompt for `messages` in this model's chat format, as tokens."""
        return self.prompt_text_tokens(self.chat_format.render(messages, cue))

    def prompt_end(self, tokens: Sequence[int]) -> str:
        """The text of the prompt's last few tokens (does it open a reasoning model's thinking?)."""
        return self.llama.detokenize(list(tokens[-8:])).decode("utf-8", errors="replace")

    def release(self) -> None:
        self.llama.close()


def gpu_offload_supported() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


def resolve_gpu_layers(setting: int | str) -> int:
    if setting == "auto":
        return -1 if gpu_offload_supported() else 0
    return int(setting)


def memory_needed(info: GgufInfo, n_ctx: int, kv_type: str, weights_on_gpu: bool) -> int:
    weights = 0 if weights_on_gpu else info.file_size
    return int(weights + info.kv_bytes_per_token(kv_type) * n_ctx + OVERHEAD_BYTES)


def largest_context(info: GgufInfo, kv_type: str, weights_on_gpu: bool, available: int) -> int:
    spare = available * MEMORY_SHARE - memory_needed(info, 0, kv_type, weights_on_gpu)
    per_token = info.kv_bytes_per_token(kv_type) or 1.0
    return max(0, int(spare / per_token) // 256 * 256)


def choose_context(info: GgufInfo, options: LoadOptions, gpu_layers: int) -> int:
    """The context length to load with, or ContextTooLarge if the request cannot fit in memory."""
    # With every layer on the GPU the KV cache lives there too; we cannot see GPU memory portably,
    # so only host memory is checked, and only for what stays on the host.
    on_gpu = gpu_layers != 0
    available = psutil.virtual_memory().available
    fits = largest_context(info, options.kv_type, on_gpu, available)
    if options.n_ctx is not None:
        if options.n_ctx > fits and not on_gpu:
            needed = memory_needed(info, options.n_ctx, options.kv_type, on_gpu)
            raise ContextTooLarge(options.n_ctx, needed, available, fits)
        return max(MIN_CTX, options.n_ctx)
    return max(MIN_CTX, min(info.context_length, options.max_ctx, fits or MIN_CTX))


def token_text(llama: llama_cpp.Llama, token: int) -> str:
    if token < 0:
        return ""
    return llama.detokenize([token], special=True).decode("utf-8", "replace")


def load_model(name_or_path: str | None, options: LoadOptions, models_dir: Path) -> LoadedModel:
    """Resolve, check and load a model; every failure is an EngineError with a clear message."""
    if options.kv_type not in KV_TYPE_BYTES:
        raise EngineError(
            f"Unknown KV cache type {options.kv_type!r}; use one of {', '.join(GGML_KV_TYPES)}."
        )
    if options.kv_type not in ("f32", "f16", "bf16") and not options.flash_attn:
        raise EngineError(
            f"A {options.kv_type} KV cache needs flash attention; drop --no-flash-attn "
            "or use --kv-type f16."
        )
    ref = resolve_model(name_or_path, models_dir)
    info = read_gguf_info(ref.path)
    gpu_layers = resolve_gpu_layers(options.gpu_layers)
    n_ctx = choose_context(info, options, gpu_layers)
    n_threads = options.n_threads or os.cpu_count() or 1
    llama_log.install()
    llama_log.recent_lines.clear()
    started = time.perf_counter()
    try:
        llama = llama_cpp.Llama(
            model_path=str(ref.path),
            n_ctx=n_ctx,
            n_batch=min(options.n_batch, n_ctx),
            n_threads=n_threads,
            n_threads_batch=n_threads,
            n_gpu_layers=gpu_layers,
            flash_attn=options.flash_attn,
            type_k=GGML_KV_TYPES[options.kv_type],
            type_v=GGML_KV_TYPES[options.kv_type],
            # Keep the whole sliding-window cache so that a shared prefix can be reused turn to
            # turn (Gemma 3); without it llama.cpp cannot trim the cache and re-reads everything.
            swa_full=True,
            seed=options.seed,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as error:
        reason = llama_log.first_error() or str(error) or type(error).__name__
        raise ModelLoadFailed(ref.path, reason) from error
    load_s = time.perf_counter() - started
    chat_format = ChatFormat.for_model(
        info.chat_template, token_text(llama, llama.token_bos()), token_text(llama, llama.token_eos())
    )
    return LoadedModel(
        llama, ref, info, options, n_ctx, gpu_layers, n_threads, load_s, chat_format
    )
