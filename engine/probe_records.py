"""What a context probe is asked to do and what it finds: its options, each cell's answers, each
length's verdict, the whole result, and the one line a model list shows for it (engine/context_probe
runs the grid)."""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.catalog import BUNDLED_USABLE_TOKENS
from storage.model_probes import ProbeRecord, ProbeStore

DEFAULT_USABLE_TOKENS = 2048
"""What to assume for a model never probed: the smallest model we ship reads 1–2K tokens of real
text well (DESIGN.md), and larger models read at least as far, so 2K is a conservative guess."""


class ProbeCancelled(Exception):
    """The probe was stopped by its cancel event; nothing it measured should be kept."""


@dataclass(frozen=True)
class ProbeOptions:
    lengths: tuple[int, ...] | None = None  # None: 1K doubling up to the window, then the window
    first_length: int = 1024
    depths: tuple[float, ...] = (0.1, 0.5, 0.9)
    real_paragraphs: int = 3  # real SQuAD paragraphs per cell, one question asked about each
    max_paragraph_chars: int = 700  # short paragraphs, so that three fit in the smallest documents
    answer_tokens: int = 40
    planted_share: float = 2 / 3  # of the depths where a length must find the planted fact
    real_ratio: float = 0.75  # of the shortest length's real accuracy a length must keep
    stop_after_failure: bool = True  # a length that fails makes longer ones pointless
    time_full_window: bool = True  # time a full window's pre-fill if no cell was one
    seed: int = 0


@dataclass(frozen=True)
class Asked:
    """A question put to the model about one cell's document, and what it said."""

    kind: str  # "planted" or "real"
    question: str
    golds: tuple[str, ...]
    answer: str = ""
    correct: bool = False


@dataclass(frozen=True)
class ProbeCell:
    length: int  # the document length asked for, in tokens
    depth: float
    document_tokens: int  # as measured in the model's tokens
    prompt_tokens: int
    prefill_tokens: int  # evaluated for this cell (the rest came from the cache)
    prefill_s: float
    answers: tuple[Asked, ...]

    @property
    def planted_found(self) -> bool:
        return any(a.correct for a in self.answers if a.kind == "planted")

    @property
    def real(self) -> tuple[int, int]:
        real = [a for a in self.answers if a.kind == "real"]
        return sum(a.correct for a in real), len(real)


@dataclass(frozen=True)
class LengthResult:
    length: int
    planted_found: int
    depths: int
    real_correct: int
    real_asked: int
    passed: bool

    @property
    def real_accuracy(self) -> float:
        return self.real_correct / self.real_asked if self.real_asked else 0.0


@dataclass(frozen=True)
class ProbeResult:
    model: str
    path: str
    n_ctx: int
    window_tokens: int  # the longest document the window holds in full-context mode
    usable_tokens: int
    lengths: tuple[LengthResult, ...]
    cells: tuple[ProbeCell, ...]
    prefill_tokens: int  # tokens of the pre-fill timed for the full-window figure
    prefill_s: float
    question_article: str
    stopped_early: bool
    seconds: float
    llama_cpp_version: str

    @property
    def prefill_tokens_per_s(self) -> float:
        return self.prefill_tokens / self.prefill_s if self.prefill_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "prefill_tokens_per_s": round(self.prefill_tokens_per_s, 1)}


def store_probe(store: ProbeStore, result: ProbeResult) -> ProbeRecord:
    """Keep a finished probe for its model file (a cancelled probe raises before it gets here)."""
    return store.record(result.path, result.usable_tokens, result.n_ctx, result.prefill_tokens,
                        result.prefill_s, result.to_json(), result.llama_cpp_version)


def describe_probe(record: ProbeRecord | None, model: str, path: str | Path | None = None) -> str:
    """One line for a model list: what the probe found; else, for a bundled file, the figure
    measured for it on the development machine; else how to run the probe."""
    if record is not None:
        return f"usable ~{record.usable_tokens:,} tokens (probed {record.probed_date})"
    how = f"`longwit probe --model {shlex.quote(model)}`"
    measured = BUNDLED_USABLE_TOKENS.get(Path(path).name) if path else None
    if measured is not None:
        return f"usable ~{measured:,} tokens (measured for this bundled model; {how} measures it here)"
    return f"not probed: run {how} (until then ~{DEFAULT_USABLE_TOKENS:,} tokens are assumed)"


def short_tokens(tokens: int) -> str:
    return f"{tokens // 1024}K" if tokens % 1024 == 0 else f"{tokens:,}"
