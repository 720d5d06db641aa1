"""The compression meter with the real SmolLM2: one pass over a text longer than the window agrees
within 1% with a log-likelihood read token by token from llama.cpp's logits with the same contexts,
the re-reading fallback gives the same figures as the shift, real prose costs far fewer bits than
its words shuffled, and a stop is a stop."""

from __future__ import annotations

import itertools
import math
import threading

import llama_cpp
import numpy as np
import pytest

from engine.compression_meter import (
    MeterOptions,
    MeterPassage,
    measure_compression,
    shuffled_words,
)
from engine.errors import ScoringCancelled
from engine.evaluation.squad import load_articles
from engine.kv_cache import forget_memory
from engine.model_host import ModelHost
from engine.surprisal_scan import SurprisalScan

WINDOW = 128  # a small window, so a few paragraphs make it shift several times


def article_text(paragraphs: int) -> str:
    return "\n\n".join(p.text for p in load_articles()[3].paragraphs[:paragraphs])


def next_token_bits(llama: llama_cpp.Llama, token: int) -> float:
    row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1),
                                shape=(llama.n_vocab(),)).astype(np.float64)
    peak = row.max()
    return -(row[token] - peak - math.log(np.exp(row - peak).sum())) / math.log(2)


def reference_bits(model, tokens: list[int], shifts: list[tuple[int, int]]) -> float:
    """Each token read after the beginning-of-text token and the same earlier tokens the scan had
    in its window, decoded afresh (no shifted cells) and scored one position at a time."""
    llama = model.llama
    start = llama.token_bos()
    bounds = [(0, 0), *shifts, (len(tokens), None)]
    total = 0.0
    for (first, context_start), (end, _) in itertools.pairwise(bounds):
        forget_memory(model)
        llama.eval([start, *tokens[context_start:first]])
        for token in tokens[first:end]:
            total += next_token_bits(llama, token)
            llama.eval([token])
    forget_memory(model)
    return total


def test_one_pass_over_a_long_text_agrees_with_a_direct_log_likelihood(host: ModelHost) -> None:
    def measure(model):
        tokens = model.llama.tokenize(article_text(8).encode(), add_bos=False, special=False)[:400]
        figures = []
        for allow_shift in (True, False):
            with SurprisalScan(model, window=WINDOW, allow_shift=allow_shift) as scan:
                bits = scan.feed(tokens[:100]).sum() + scan.feed(tokens[100:]).sum()
                figures.append((float(bits), list(scan.shift_log)))
        (shifted, log), (reread, reread_log) = figures
        return len(tokens), shifted, reread, log, reread_log, reference_bits(model, tokens, log)

    count, shifted, reread, log, reread_log, reference = host.call(measure)
    assert count > 3 * WINDOW and len(log) >= 3, "the text should make the window move on"
    assert log == reread_log
    assert shifted == pytest.approx(reference, rel=0.01)
    assert reread == pytest.approx(reference, rel=0.01)


def test_prose_costs_fewer_bits_than_its_words_shuffled(host: ModelHost) -> None:
    passages = [MeterPassage(p.text, f"paragraph {i}")
                for i, p in enumerate(load_articles()[3].paragraphs[:4], start=1)]
    heard: list[float] = []
    report = host.call(lambda model: measure_compression(
        model, "article", passages, MeterOptions(most_surprising=2),
        lambda fraction, _what: heard.append(fraction)))
    text, shuffled = report.text, report.shuffled
    assert shuffled is not None and shuffled.bytes == pytest.approx(text.bytes, rel=0.02)
    assert text.bits_per_byte < 0.8 * shuffled.bits_per_byte
    assert 0 < report.order_saves < 1
    assert text.bits == pytest.approx(sum(p.bits for p in report.passages))
    assert len(report.most_surprising) == 2
    worst = max(report.passages, key=lambda p: p.bits_per_byte)
    assert report.most_surprising[0].index == worst.index
    assert report.most_surprising[0].text == passages[worst.index].text
    assert heard == sorted(heard) and heard[-1] == pytest.approx(1.0)


def test_a_passage_of_noise_is_the_most_surprising(host: ModelHost) -> None:
    rng = np.random.default_rng(0)
    noise = " ".join("".join(rng.choice(list("qxzjkvwy"), 6)) for _ in range(40))
    prose = load_articles()[3].paragraphs[:3]
    passages = [MeterPassage(prose[0].text, "p1"), MeterPassage(noise, "p2"),
                MeterPassage(prose[1].text, "p3")]
    report = host.call(lambda model: measure_compression(
        model, "mixed", passages, MeterOptions(shuffled_baseline=False, most_surprising=1)))
    assert report.shuffled is None and report.order_saves is None
    assert report.most_surprising[0].label == "p2"


def test_shuffling_keeps_each_passage_word_count() -> None:
    passages = [MeterPassage("one two three", "a"), MeterPassage("four five", "b")]
    shuffled = shuffled_words(passages, seed=3)
    assert [len(p.text.split()) for p in shuffled] == [3, 2]
    assert sorted(" ".join(p.text for p in shuffled).split()) == sorted(
        ["one", "two", "three", "four", "five"])


def test_a_stop_ends_the_measurement_and_the_model_answers_again(host: ModelHost) -> None:
    cancel = threading.Event()
    passages = [MeterPassage(article_text(6))]

    def stop_soon(fraction: float, _what: str) -> None:
        cancel.set()

    with pytest.raises(ScoringCancelled):
        host.call(lambda model: measure_compression(
            model, "long", passages * 3, MeterOptions(), stop_soon, cancel))
    answer = host.call(lambda model: model.llama.create_completion(
        "The capital of France is", max_tokens=4, temperature=0.0)["choices"][0]["text"])
    assert answer.strip()
