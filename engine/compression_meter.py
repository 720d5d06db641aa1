"""How well the loaded model compresses a document: bits per byte and per token, against the same
words shuffled, and which passages it finds most surprising.

A model that predicts a text well has, in a measurable sense, understood it: the bits it needs
are the length of the text compressed by the model (arithmetic coding gets within bits of it). The
shuffled-word copy has the same words and so the same vocabulary cost; what the model saves on the
real order is what it knows about how the words go together. Passages far above the document's
average are where the model is lost: names it has never seen, tables, another language, noise.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from engine.loader import LoadedModel
from engine.surprisal_scan import SurprisalScan

PASSAGE_SEPARATOR = "\n\n"
MIN_RANKED_BYTES = 80  # shorter passages (a heading, a page number) are surprising by nature


@dataclass(frozen=True)
class MeterPassage:
    """A run of the document's text and where it is (a page, a section), as the reader found it."""

    text: str
    label: str = ""


@dataclass(frozen=True)
class MeterOptions:
    shuffled_baseline: bool = True  # also measure the same words in a random order
    seed: int = 0  # of the shuffle
    most_surprising: int = 5  # passages kept with their text, the most surprising first
    keep_fraction: float = 0.5  # of the window kept as context when it is full


@dataclass(frozen=True)
class PassageSurprisal:
    index: int
    label: str
    bytes: int
    tokens: int
    bits: float
    text: str = ""  # kept only for the most surprising

    @property
    def bits_per_byte(self) -> float:
        return self.bits / self.bytes if self.bytes else 0.0


@dataclass(frozen=True)
class TextCompression:
    bytes: int
    tokens: int
    bits: float
    shifts: int  # how many times the window was full and moved on

    @property
    def bits_per_byte(self) -> float:
        return self.bits / self.bytes if self.bytes else 0.0

    @property
    def bits_per_token(self) -> float:
        return self.bits / self.tokens if self.tokens else 0.0

    def to_json(self) -> dict:
        return {"bytes": self.bytes, "tokens": self.tokens, "bits": round(self.bits, 3),
                "bits_per_byte": round(self.bits_per_byte, 5),
                "bits_per_token": round(self.bits_per_token, 5), "window_shifts": self.shifts}


@dataclass(frozen=True)
class CompressionReport:
    name: str
    model: str
    n_ctx: int
    text: TextCompression
    shuffled: TextCompression | None
    passages: list[PassageSurprisal]  # every passage, in document order (no text)
    most_surprising: list[PassageSurprisal] = field(default_factory=list)  # with their text
    seconds: float = 0.0

    @property
    def order_saves(self) -> float | None:
        """The share of the shuffled copy's bits that the real word order saves."""
        if self.shuffled is None or not self.shuffled.bits_per_byte:
            return None
        return 1.0 - self.text.bits_per_byte / self.shuffled.bits_per_byte

    @property
    def compression_ratio(self) -> float:
        """Bytes of text per byte of its model-coded length (8 bits per byte of input)."""
        return 8.0 / self.text.bits_per_byte if self.text.bits_per_byte else 0.0

    def to_json(self) -> dict:
        return {
            "name": self.name, "model": self.model, "n_ctx": self.n_ctx,
            "text": self.text.to_json(),
            "shuffled": self.shuffled.to_json() if self.shuffled else None,
            "order_saves": None if self.order_saves is None else round(self.order_saves, 5),
            "compression_ratio": round(self.compression_ratio, 4),
            "seconds": round(self.seconds, 2),
            "passages": [{"index": p.index, "label": p.label, "bytes": p.bytes, "tokens": p.tokens,
                          "bits_per_byte": round(p.bits_per_byte, 4)} for p in self.passages],
            "most_surprising": [{"index": p.index, "label": p.label,
                                 "bits_per_byte": round(p.bits_per_byte, 4), "text": p.text}
                                for p in self.most_surprising],
        }


Progress = Callable[[float, str], None]


def shuffled_words(passages: Sequence[MeterPassage], seed: int = 0) -> list[MeterPassage]:
    """The document's words in a random order, laid back into passages of the same word counts."""
    words_per_passage = [passage.text.split() for passage in passages]
    words = [word for passage_words in words_per_passage for word in passage_words]
    random.Random(seed).shuffle(words)
    shuffled, used = [], 0
    for passage, passage_words in zip(passages, words_per_passage, strict=True):
        count = len(passage_words)
        shuffled.append(MeterPassage(" ".join(words[used : used + count]), passage.label))
        used += count
    return shuffled


def scored_pieces(passages: Iterable[MeterPassage]) -> Iterable[tuple[int, MeterPassage, str]]:
    """Each passage with the text actually scored: the separator before all but the first."""
    for index, passage in enumerate(passages):
        yield index, passage, (PASSAGE_SEPARATOR if index else "") + passage.text


def measure_text(model: LoadedModel, passages: Sequence[MeterPassage], options: MeterOptions,
                 progress: Callable[[int], None] | None = None,
                 cancel: threading.Event | None = None,
                 ) -> tuple[TextCompression, list[PassageSurprisal], list[PassageSurprisal]]:
    """One pass over the passages: the totals, every passage's figures, and the most surprising
    passages with their text (a bounded heap, so a long book does not hold every passage twice)."""
    every: list[PassageSurprisal] = []
    heap: list[tuple[float, int, PassageSurprisal]] = []
    total_bytes = total_tokens = 0
    total_bits = 0.0
    with SurprisalScan(model, cancel, options.keep_fraction) as scan:
        for index, passage, text in scored_pieces(passages):
            encoded = text.encode("utf-8")
            tokens = model.text_tokens(text)
            bits = float(scan.feed(tokens).sum()) if tokens else 0.0
            figures = PassageSurprisal(index, passage.label, len(encoded), len(tokens), bits)
            every.append(figures)
            if options.most_surprising and figures.bytes >= MIN_RANKED_BYTES:
                ranked = PassageSurprisal(index, passage.label, figures.bytes, figures.tokens, bits,
                                          passage.text)
                entry = (figures.bits_per_byte, -index, ranked)
                if len(heap) < options.most_surprising:
                    heapq.heappush(heap, entry)
                else:
                    heapq.heappushpop(heap, entry)
            total_bytes += len(encoded)
            total_tokens += len(tokens)
            total_bits += bits
            if progress is not None:
                progress(len(encoded))
        shifts = scan.shifts
    top = [entry[2] for entry in sorted(heap, reverse=True)]
    return TextCompression(total_bytes, total_tokens, total_bits, shifts), every, top


def measure_compression(model: LoadedModel, name: str, passages: Sequence[MeterPassage],
                        options: MeterOptions = MeterOptions(), progress: Progress | None = None,
                        cancel: threading.Event | None = None) -> CompressionReport:
    """The document's compression under `model`, and its shuffled copy's; `progress(fraction,
    what)` hears how far along both passes are. Runs on the model's thread."""
    started = time.perf_counter()
    size = sum(len(t.encode("utf-8")) for _, _, t in scored_pieces(passages))
    passes = 2 if options.shuffled_baseline else 1
    done = [0]

    def advance(what: str) -> Callable[[int], None]:
        def step(measured: int) -> None:
            done[0] += measured
            if progress is not None:
                progress(min(1.0, done[0] / max(1, size * passes)), what)
        return step

    text, every, top = measure_text(model, passages, options, advance("the document"), cancel)
    shuffled = None
    if options.shuffled_baseline:
        shuffled, _, _ = measure_text(model, shuffled_words(passages, options.seed),
                                      MeterOptions(most_surprising=0,
                                                   keep_fraction=options.keep_fraction),
                                      advance("its words shuffled"), cancel)
    return CompressionReport(name, model.ref.name, model.n_ctx, text, shuffled, every, top,
                             time.perf_counter() - started)
