"""Evidence windows ranked by the model itself: by how much each makes the question predictable.

BM25 counts shared words; the model can tell which sentence a question is about when the words
differ ("When did she leave?" and "…departed in 1901"). For each candidate window the model is
asked how many bits the question costs right after it, against the question alone: the bits a
window saves are what it tells the model about the question (the compression view). Run after the
stable prefix is in the KV cache, so each candidate costs only its own tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from engine.evidence import Evidence
from engine.loader import LoadedModel
from engine.token_surprisal import continuation_bits


def rank_by_question_bits(model: LoadedModel, base: int, question: str,
                          candidates: Sequence[Evidence], keep: int) -> list[Evidence]:
    """The `keep` candidates that save the most bits of `question`, best first, each with its
    `bits_saved`. `base` is how many cached tokens (the prefix) the scoring reads after."""
    asked = model.text_tokens(" " + question.strip())
    alone = continuation_bits(model, base, model.text_tokens("\n\nQuestion:"), asked)
    scored = []
    for rank, candidate in enumerate(candidates):
        context = model.text_tokens(f"\n\n{candidate.text}\n\nQuestion:")
        if base + len(context) + len(asked) > model.n_ctx:
            continue
        saved = alone - continuation_bits(model, base, context, asked)
        scored.append((-saved, rank, replace(candidate, bits_saved=saved)))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [candidate for _score, _rank, candidate in scored[:keep]]
