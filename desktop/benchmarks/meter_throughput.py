"""`longwit bench memory`, part three: the compression meter's throughput against a plain pre-fill of
the same tokens, in the same process with the same loaded model.

The text is the start of a SQuAD article (Wikipedia, CC BY-SA), drawn by the seed, as many whole
paragraphs as fit `tokens`, within one window so that neither side shifts its cache. The meter
(engine/compression_meter, what `longwit compress` runs, without its shuffled copy) decodes every
token and reads every position's logits; the plain pre-fill is llama-cpp-python's own `eval` of
the same tokens (the start token and the paragraphs as the meter tokenizes them), which keeps no
logits, from an empty cache. Each side runs `repeats` times, alternating which goes first, so a
machine that speeds up or slows down meanwhile moves both alike; the medians are reported.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from engine.compression_meter import MeterOptions, MeterPassage, measure_compression, scored_pieces
from engine.evaluation.squad import load_articles
from engine.kv_cache import forget_memory
from engine.loader import LoadedModel
from engine.model_host import ModelHost

Report = Callable[[str], None]
METER = MeterOptions(shuffled_baseline=False, most_surprising=0)
WARM_UP_TOKENS = 64


@dataclass(frozen=True)
class MeterRun:
    system: str  # "meter" or "pre-fill"
    tokens: int
    seconds: float
    bits_per_byte: float | None = None  # the meter's
    bits_per_token: float | None = None

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def draw_passages(model: LoadedModel, tokens: int, seed: int) -> tuple[str, list[MeterPassage]]:
    """An article's paragraphs from its start, while they fit `tokens` (at least one)."""
    article = random.Random(f"{seed}:meter").choice(load_articles())
    passages: list[MeterPassage] = []
    used = 1  # the start token
    for paragraph in article.paragraphs:
        size = model.count_tokens(paragraph.text) + 2  # and the separator before it
        if passages and used + size > tokens:
            break
        passages.append(MeterPassage(paragraph.text))
        used += size
    return article.title, passages


def start_token(model: LoadedModel) -> int:
    """The token the meter starts from (engine/surprisal_scan): BOS, or EOS where there is none."""
    bos = model.llama.token_bos()
    return bos if bos >= 0 else model.llama.token_eos()


def metered(model: LoadedModel, title: str, passages: list[MeterPassage]) -> MeterRun:
    report = measure_compression(model, title, passages, METER)
    return MeterRun("meter", report.text.tokens, report.seconds, report.text.bits_per_byte,
                    report.text.bits_per_token)


def prefilled(model: LoadedModel, passages: list[MeterPassage]) -> MeterRun:
    """The same tokens through llama.cpp's plain `eval` from an empty cache (tokenizing timed too,
    as the meter's time holds its own)."""
    forget_memory(model)
    started = time.perf_counter()
    text = [token for _, _, piece in scored_pieces(passages) for token in model.text_tokens(piece)]
    model.llama.eval([start_token(model), *text])
    seconds = time.perf_counter() - started
    forget_memory(model)  # the next chat reads its prompt again
    return MeterRun("pre-fill", len(text), seconds)


def run_meter(host: ModelHost, tokens: int, repeats: int, seed: int, report: Report,
              runs: list[MeterRun], document: dict) -> None:
    """Alternate the meter and the plain pre-fill `repeats` times each; runs are appended as
    they come, and `document` is filled with what was measured."""

    def setup(model: LoadedModel) -> tuple[str, list[MeterPassage]]:
        title, passages = draw_passages(model, min(tokens, model.n_ctx - 1), seed)
        forget_memory(model)
        model.llama.eval([start_token(model), *model.text_tokens(passages[0].text)][:WARM_UP_TOKENS])
        forget_memory(model)
        return title, passages

    title, passages = host.call(setup)
    document.update(title=title, paragraphs=len(passages),
                    bytes=sum(len(piece.encode("utf-8")) for _, _, piece in scored_pieces(passages)))
    report(f"Compression meter against plain pre-fill: '{title}', {len(passages)} paragraphs, "
           f"{repeats} runs each…")
    measure: dict[str, Callable[[LoadedModel], MeterRun]] = {
        "meter": lambda model: metered(model, title, passages),
        "pre-fill": lambda model: prefilled(model, passages),
    }
    for repeat in range(repeats):
        order = ("meter", "pre-fill") if repeat % 2 == 0 else ("pre-fill", "meter")
        for system in order:
            run = host.call(measure[system])
            runs.append(run)
            report(f"  {system:<8} {run.tokens:,} tokens in {run.seconds:.2f} s "
                   f"({run.tokens_per_s:,.0f} tokens/s)")


def meter_summary(runs: list[MeterRun]) -> dict | None:
    """Median tokens/s of each side and their ratio (meter / pre-fill), with the meter's figures."""
    meter = [r for r in runs if r.system == "meter"]
    plain = [r for r in runs if r.system == "pre-fill"]
    if not meter or not plain:
        return None
    meter_rate = statistics.median(r.tokens_per_s for r in meter)
    plain_rate = statistics.median(r.tokens_per_s for r in plain)
    return {
        "tokens": meter[0].tokens,
        "bits_per_byte": round(meter[0].bits_per_byte or 0.0, 4),
        "bits_per_token": round(meter[0].bits_per_token or 0.0, 4),
        "meter_tokens_per_s": round(meter_rate, 1),
        "prefill_tokens_per_s": round(plain_rate, 1),
        "ratio": round(meter_rate / plain_rate, 3) if plain_rate else None,
    }
