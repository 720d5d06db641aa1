"""Saved model states: the KV cache of a long prompt prefix (system prompt and documents), written
to disk once and loaded instead of pre-filling again, in this process or a later one.

llama.cpp's sequence-state files hold just the KV cache of one sequence (DESIGN.md: 55 MB and 35 ms
to load for 15K Gemma tokens, against 76 s of pre-fill); `Llama.save_state()` would pickle a
vocabulary-sized logits array as well. A file is keyed by the model file, the build, the context
settings and a hash of the exact prefix tokens, so a file from another model or build is never
even looked up; its checksum is verified before loading, and a file that fails is deleted and the
prefix rebuilt. An index in SQLite keeps the cache under a size cap, least recently used first out.

A larger model's state is gigabytes (README, "Larger models, by shape": 144 KiB a token for Qwen3-4B
at f16, 4.5 GiB for a 32K-token document), so the cap is kept before a file is written, not after:
a state larger than the whole cache is not saved (it would push every other state out and still
be over the cap), and older states leave to make room before the new one is written, so the folder
never holds more than the cap, even for a moment.

The cap is sized by the loaded model unless one is given: room for KEPT_WINDOWS of its full windows
(at least DEFAULT_MAX_BYTES), so a 4B or 8B model's long documents are kept as a small model's are,
and never more than the disk can spare beside DISK_RESERVE_BYTES, so the cache does not fill it.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

from engine.generation import abort_when
from engine.kv_cache import forget_memory, reusable_prefix
from engine.loader import LoadedModel
from storage import crash_points, open_database
from storage.model_states import SavedState, StateIndex
from storage.paths import disk_free_bytes, private_file, private_folder

DEFAULT_MAX_BYTES = 4 * 2**30  # the least a model-sized cap holds
KEPT_WINDOWS = 3  # full windows of the loaded model a model-sized cap keeps room for
DISK_RESERVE_BYTES = 2 * 2**30  # left free on the disk whatever the cap says
MIN_PREFIX_TOKENS = 256  # shorter prefixes pre-fill faster than a file is worth
# A sequence-state file: magic, version and token count (uint32 each), then the tokens (int32 each),
# then what llama_state_seq_get_size counts.
STATE_FILE_HEADER_BYTES = 12
# Beside each token's keys and values: its id in the header (4 bytes) and its cache cell's position
# and sequence (12; measured on the tiny shape: 12.06 a token over 1,016 tokens), and a little per file.
STATE_TOKEN_OVERHEAD_BYTES = 16
STATE_FIXED_BYTES = 1024
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrefixOutcome:
    how: str  # "warm" (already in memory), "restored" (from disk), "prefilled", or "skipped"
    prefix_tokens: int
    seconds: float
    read_tokens: int = 0  # prefix tokens evaluated now (pre-filled), as opposed to reused
    saved: bool = True  # False: pre-filled, but its state is larger than the cache may hold


def file_checksum(path: Path) -> str:
    """CRC-32 of the file: catches a damaged or truncated state file at 7 ms per 50 MB (SHA-256
    takes 50 ms, which is a fifth of a restored turn's time to first token)."""
    checksum = 0
    with path.open("rb") as handle:
        while block := handle.read(4 * 2**20):
            checksum = zlib.crc32(block, checksum)
    return f"{checksum:08x}"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_key(model: LoadedModel) -> str:
    """What a saved state depends on besides the tokens: the model file, the build and settings."""
    stat = model.ref.path.stat()
    parts = [str(model.ref.path), str(stat.st_size), str(stat.st_mtime_ns), llama_cpp.__version__,
             str(model.n_ctx), model.options.kv_type, str(model.options.flash_attn)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def state_file_bytes(model: LoadedModel, n_tokens: int) -> int:
    """The size of the file that saving the model's sequence 0 with `n_tokens` tokens writes."""
    data = llama_cpp.llama_state_seq_get_size(model.llama._ctx.ctx, 0)
    return STATE_FILE_HEADER_BYTES + 4 * n_tokens + int(data)


def full_window_state_bytes(model: LoadedModel) -> int:
    """The size of a state file that fills the model's whole window."""
    per_token = model.info.kv_bytes_per_token(model.options.kv_type) + STATE_TOKEN_OVERHEAD_BYTES
    return int(STATE_FILE_HEADER_BYTES + STATE_FIXED_BYTES + per_token * model.n_ctx)


def model_sized_cap(full_window_bytes: int, held_bytes: int, disk_free_bytes: int) -> int:
    """Room for KEPT_WINDOWS full windows (DEFAULT_MAX_BYTES at least), within what the states
    already hold plus what the disk can spare beside its reserve."""
    wanted = max(DEFAULT_MAX_BYTES, KEPT_WINDOWS * full_window_bytes)
    return max(0, min(wanted, held_bytes + disk_free_bytes - DISK_RESERVE_BYTES))


def state_key(model: LoadedModel, tokens: Sequence[int]) -> str:
    token_bytes = (ctypes.c_int32 * len(tokens))(*tokens)
    return f"{model_key(model)}-{hashlib.sha256(bytes(token_bytes)).hexdigest()[:32]}"


class StateCache:
    """Saves and restores prefix states for the model on the thread that owns it."""

    def __init__(self, folder: Path, database: Path, max_bytes: int | None = None,
                 disk_free: Callable[[Path], int] = disk_free_bytes) -> None:
        self.folder = folder
        self.database = database
        self.max_bytes = max_bytes  # None: sized by the model (model_sized_cap)
        self.disk_free = disk_free
        self._index: StateIndex | None = None

    @property
    def index(self) -> StateIndex:
        # Opened on first use, on the model's thread, which then owns this connection.
        if self._index is None:
            self._index = StateIndex(open_database(self.database))
        return self._index

    def close(self) -> None:
        """Close the index's connection; on the model's thread, which opened it. Used again, the
        cache opens a new one."""
        if self._index is not None:
            self._index.db.conn.close()
            self._index = None

    def known_prefix_length(self, model: LoadedModel, prefix_text: str) -> int | None:
        """The token count of a prefix text saved before, so a new process need not tokenize it
        just to find where the prefix ends."""
        return self.index.prefix_length(model_key(model), text_sha256(prefix_text))

    def prepare(
        self,
        model: LoadedModel,
        prompt: Sequence[int],
        prefix_tokens: int,
        cancel: threading.Event,
        prefix_text: str = "",
        document_ids: Sequence[int] = (),
    ) -> PrefixOutcome:
        """Make sure the first `prefix_tokens` of `prompt` are in the KV cache, the cheapest way. A
        state saved now is indexed with `document_ids`, the documents its prefix holds, so that
        removing or re-reading one of them drops it."""
        started = time.perf_counter()
        if prefix_tokens < MIN_PREFIX_TOKENS:
            return PrefixOutcome("skipped", prefix_tokens, 0.0)
        read, saved = 0, True
        prefix = list(prompt[:prefix_tokens])
        reusable = reusable_prefix(model, prefix)
        if reusable >= prefix_tokens:
            how = "warm"
        elif self.restore(model, prefix):
            how = "restored"
        else:
            model.llama.n_tokens = reusable
            with abort_when(model, cancel):
                model.llama.eval(prefix[reusable:])
            read = prefix_tokens - reusable
            saved = self.save(model, prefix, prefix_text, document_ids)
            how = "prefilled"
        return PrefixOutcome(how, prefix_tokens, time.perf_counter() - started, read, saved)

    def restore(self, model: LoadedModel, prefix: list[int]) -> bool:
        key = state_key(model, prefix)
        saved = self.index.get(key)
        if saved is None:
            return False
        path = self.folder / saved.file_name
        if not self.verified(path, saved):
            self.drop(saved)
            return False
        forget_memory(model)
        capacity = len(prefix) + 1
        tokens_out = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        read = llama_cpp.llama_state_seq_load_file(
            model.llama._ctx.ctx, str(path).encode(), 0, tokens_out, capacity, ctypes.byref(count)
        )
        if read == 0 or list(tokens_out[: count.value]) != prefix:
            forget_memory(model)
            self.drop(saved)
            return False
        model.llama.input_ids[: len(prefix)] = prefix
        model.llama.n_tokens = len(prefix)
        model.llama._requires_eval = True  # logits are not part of the state
        self.index.touch(key)
        return True

    def verified(self, path: Path, saved: SavedState) -> bool:
        try:
            return path.stat().st_size == saved.size_bytes and file_checksum(path) == saved.checksum
        except OSError:
            return False

    def cap(self, model: LoadedModel) -> int:
        """The most the states may hold while `model` is loaded."""
        if self.max_bytes is not None:
            return self.max_bytes
        return model_sized_cap(full_window_state_bytes(model), self.index.total_bytes(),
                               self.disk_free(self.folder))

    def save(self, model: LoadedModel, prefix: list[int], prefix_text: str = "",
             document_ids: Sequence[int] = ()) -> bool:
        """Save the state of `prefix` (in the KV cache now); False when it is larger than the cap."""
        key = state_key(model, prefix)
        needed = state_file_bytes(model, len(prefix))
        cap = self.cap(model)
        if needed > cap:
            logger.info("state of %d tokens not saved: %d bytes, over the cache's cap of %d",
                        len(prefix), needed, cap)
            return False
        self.make_room(needed, key, cap)
        private_folder(self.folder)
        path = self.folder / f"{key}.state"
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        private_file(partial)  # llama.cpp truncates it and keeps its mode: the owner's only
        tokens = (llama_cpp.llama_token * len(prefix))(*prefix)
        written = llama_cpp.llama_state_seq_save_file(
            model.llama._ctx.ctx, str(partial).encode(), 0, tokens, len(prefix)
        )
        if written == 0:
            partial.unlink(missing_ok=True)
            return False
        crash_points.reached("state.written")
        partial.replace(path)
        crash_points.reached("state.renamed")
        saved = SavedState(key, model_key(model), len(prefix), text_sha256(prefix_text), path.name,
                           path.stat().st_size, file_checksum(path), "")
        self.index.put(saved, document_ids)
        crash_points.reached("state.indexed", key=key)
        self.evict(keep=key, cap=cap)
        return True

    def drop(self, saved: SavedState) -> None:
        (self.folder / saved.file_name).unlink(missing_ok=True)
        self.index.remove(saved.key)

    def make_room(self, needed: int, key: str, cap: int) -> None:
        """Remove least recently used states until `needed` more bytes fit under `cap` (the
        state under `key`, about to be replaced, counts as gone)."""
        states = self.index.oldest_first()
        total = sum(s.size_bytes for s in states if s.key != key)
        for saved in states:
            if total + needed <= cap:
                break
            if saved.key != key:
                self.drop(saved)
                total -= saved.size_bytes

    def evict(self, keep: str, cap: int) -> None:
        """Remove least recently used states until the cache is under `cap`."""
        total = self.index.total_bytes()
        for saved in self.index.oldest_first():
            if total <= cap:
                break
            if saved.key != keep:
                self.drop(saved)
                total -= saved.size_bytes
