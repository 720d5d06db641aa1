"""The model's surprisal of a text, read from llama.cpp's logits: equal to a token-by-token
log-likelihood, without disturbing the cached prefix, and useful for ranking evidence."""

from __future__ import annotations

import math

import llama_cpp
import numpy as np
import pytest

from engine.document_prompt import DocumentChunk
from engine.evidence import Evidence
from engine.evidence_ranking import rank_by_question_bits
from engine.model_host import ModelHost
from engine.token_surprisal import continuation_bits
from storage.locations import Location

PREFIX = "Notes from the museum's archive, written by the keeper in the winter of 1907."
CONTEXT = "\n\nThe lighthouse keeper's daughter painted the fishing boats every morning.\n\n"
CONTINUATION = "Question: Who painted the boats?"


def reference_bits(model, base: int, context: list[int], continuation: list[int]) -> float:
    """Token by token through llama-cpp-python's own eval, the last position's logits each time."""
    llama = model.llama
    llama.n_tokens = base
    llama.eval(context)
    total = 0.0
    for token in continuation:
        row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1),
                                    shape=(llama.n_vocab(),)).astype(np.float64)
        peak = row.max()
        total -= row[token] - peak - math.log(np.exp(row - peak).sum())
        llama.eval([token])
    llama.n_tokens = base
    return total / math.log(2)


def test_bits_match_a_token_by_token_log_likelihood_and_keep_the_prefix(host: ModelHost) -> None:
    def measure(model):
        llama = model.llama
        llama.n_tokens = 0
        prefix = model.text_tokens(PREFIX)
        llama.eval(prefix)
        base = llama.n_tokens
        context, continuation = model.text_tokens(CONTEXT), model.text_tokens(CONTINUATION)
        first = continuation_bits(model, base, context, continuation)
        kept = (llama.n_tokens, list(llama.input_ids[:base]))
        llama.eval(model.text_tokens(" Something else entirely, to overwrite the cells after it."))
        again = continuation_bits(model, base, context, continuation)
        reference = reference_bits(model, base, context, continuation)
        unrelated = continuation_bits(model, base, model.text_tokens("\n\nBananas grow in warm places.\n\n"),
                                      continuation)
        return base, prefix, first, kept, again, reference, unrelated

    base, prefix, first, kept, again, reference, unrelated = host.call(measure)
    assert kept == (base, prefix)
    assert first == pytest.approx(again, abs=1e-3)
    assert first == pytest.approx(reference, rel=0.01)
    assert 5 < first < unrelated  # the sentence about the painter makes the question cheaper


def test_rejects_a_scoring_past_the_window(host: ModelHost) -> None:
    def overflow(model):
        model.llama.n_tokens = 0
        with pytest.raises(ValueError, match="window holds"):
            continuation_bits(model, 0, [1] * model.n_ctx, [2])

    host.call(overflow)


def window(ordinal: int, text: str) -> Evidence:
    return Evidence(DocumentChunk(ordinal, 1, ordinal, text, Location(line=ordinal)), text)


def test_the_model_ranks_first_the_window_that_answers_in_other_words(host: ModelHost) -> None:
    """BM25 would rank the first two up for "ship" and "launched"; only the third answers."""
    candidates = [
        window(1, "The ship was a favourite of the harbour painters, who sketched it at anchor."),
        window(2, "Several ships were launched from the northern yards in the years after the war."),
        window(3, "The Aurora left the slipway at Dundee on 12 March 1876, christened by the mayor."),
    ]

    def rank(model):
        model.llama.n_tokens = 0
        model.llama.eval(model.text_tokens("A history of the Dundee shipyards."))
        return rank_by_question_bits(model, model.llama.n_tokens,
                                     "When was the Aurora launched?", candidates, keep=2)

    ranked = host.call(rank)
    assert ranked[0].chunk.ordinal == 3
    assert len(ranked) == 2 and all(e.bits_saved is not None for e in ranked)
    assert ranked[0].bits_saved > ranked[1].bits_saved
