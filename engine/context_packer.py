"""The ContextPacker lays out the prompt for a turn with pinned documents.

Layout: system prompt and documents first (a prefix that stays byte-identical from turn to turn,
so llama.cpp reuses its KV cache and the prefix can be saved to disk), then the conversation, then
the question with its best passages repeated and numbered. Full-context mode puts the documents in
whole when they fit with room for the answer; passage mode fills the budget with the best passages
by BM25 and their neighbours, in document order, and says how much of each document the model saw.
It never asks for more than the window holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.chat_format import ChatMessage
from engine.conversation_window import PackedPrompt, fit_conversation, tokenize_prompt
from engine.document_prompt import (
    DocumentChunk,
    PinnedDocument,
    SourcePassage,
    document_block,
    number_passages,
    question_with_passages,
    system_with_documents,
)
from engine.kv_cache import common_prefix_length
from engine.loader import LoadedModel

FULL, PASSAGES = "full", "passages"
HISTORY_SHARE = 0.25  # of the budget kept for the conversation in passage mode


@dataclass(frozen=True)
class PackingOptions:
    # Repeated before the question in full-context mode, cut to the sentences nearest the question:
    # every token after the cached prefix is paid again on each turn (about 5 ms each for Gemma 3
    # at 16K tokens of context on two cores, measured), so it is the best one, cut to its best
    # sentence (and a neighbour when they are short).
    passages_per_question: int = 1
    focus_chars: int = 100
    neighbours: int = 1  # chunks on each side of a hit, in passage mode
    answer_reserve: int = 512


@dataclass(frozen=True)
class PackedContext:
    tokens: list[int]
    prefix_tokens: int  # how many leading tokens are the stable system + documents prefix
    prefix_text: str  # the system text those tokens encode (keys the saved state's length)
    mode: str  # FULL or PASSAGES
    sources: list[SourcePassage]
    seen_fraction: dict[int, float]  # document id → share of its text the model saw
    window: PackedPrompt
    document_tokens: dict[int, int] = field(default_factory=dict)  # document id → its tokens

    def describe(self) -> str:
        if self.mode == FULL:
            total = sum(self.document_tokens.values())
            count = len(self.document_tokens)
            return (f"full-context mode: the model read all {total:,} tokens of the "
                    f"{'document' if count == 1 else f'{count} documents'}")
        shares = ", ".join(
            f"{share:.1%}" if share < 0.1 else f"{share:.0%}" for share in self.seen_fraction.values()
        )
        return f"passage mode: the documents are larger than the window; the model saw {shares} of them"


@dataclass
class ContextPacker:
    """Packs turns for one conversation; lives on the model's thread with its caches."""

    system_prompt: str
    documents: list[PinnedDocument]
    options: PackingOptions = field(default_factory=PackingOptions)
    # Token counts of prefixes saved before (StateCache.known_prefix_length), so a new process
    # does not tokenize a whole book twice just to find where its prefix ends.
    known_lengths: Callable[[LoadedModel, str], int | None] | None = None

    def pack(
        self,
        model: LoadedModel,
        history: list[ChatMessage],
        hits: list[DocumentChunk],
        start: int,
    ) -> PackedContext:
        """history ends with the question; hits are the retrieved chunks, best first."""
        reserve = min(self.options.answer_reserve, model.n_ctx // 4)
        budget = model.n_ctx - reserve
        titles = {d.document_id: d.title for d in self.documents}
        whole = system_with_documents(self.system_prompt, self.documents, whole=True)
        best = number_passages(hits[: self.options.passages_per_question], titles,
                               focus_on=history[-1].content, focus_chars=self.options.focus_chars)
        question = question_with_passages(history[-1].content, best, labels=False)
        needed = self.prefix_length(model, whole) + self.measure(model, question)
        if needed <= budget:
            return self.finish(model, whole, history, question, best, start, reserve, FULL)
        brief = system_with_documents(self.system_prompt, self.documents, whole=False)
        room = budget - self.measure(model, brief) - self.measure(model, history[-1].content)
        chosen = self.fill_passages(model, hits, int(room * (1 - HISTORY_SHARE)) - 64)
        passages = number_passages(chosen, titles)
        question = question_with_passages(history[-1].content, passages, labels=True)
        return self.finish(model, brief, history, question, passages, start, reserve, PASSAGES)

    def measure(self, model: LoadedModel, text: str) -> int:
        return len(model.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def fill_passages(self, model: LoadedModel, hits: list[DocumentChunk], room: int) -> list:
        """The best hits and their neighbours until `room` tokens are used."""
        by_place = {(c.document_id, c.ordinal): c for d in self.documents for c in d.chunks}
        chosen: dict[tuple[int, int], DocumentChunk] = {}
        used = 0
        for hit in hits:
            span = range(hit.ordinal - self.options.neighbours, hit.ordinal + self.options.neighbours + 1)
            for ordinal in sorted(span, key=lambda o: abs(o - hit.ordinal)):
                chunk = by_place.get((hit.document_id, ordinal))
                if chunk is None or (chunk.document_id, chunk.ordinal) in chosen:
                    continue
                cost = self.measure(model, chunk.text) + 16  # number and label
                if used + cost > room:
                    return list(chosen.values())
                chosen[(chunk.document_id, chunk.ordinal)] = chunk
                used += cost
        return list(chosen.values())

    def finish(
        self,
        model: LoadedModel,
        system: str,
        history: list[ChatMessage],
        question: str,
        passages: list[SourcePassage],
        start: int,
        reserve: int,
        mode: str,
    ) -> PackedContext:
        turns = [*history[:-1], ChatMessage("user", question)]
        window = fit_conversation(model, ChatMessage("system", system), turns, start, reserve)
        seen = self.seen_fraction(passages) if mode == PASSAGES else {
            d.document_id: 1.0 for d in self.documents
        }
        prefix = min(self.prefix_length(model, system), len(window.tokens))
        return PackedContext(window.tokens, prefix, system, mode, passages, seen, window,
                             self.document_tokens(model))

    def document_tokens(self, model: LoadedModel) -> dict[int, int]:
        """Each document's size in this model's tokens: stored, or measured once per process."""
        counts = {}
        for number, document in enumerate(self.documents, start=1):
            if document.token_count is not None:
                counts[document.document_id] = document.token_count
                continue
            key = f"document:{document.document_id}:{len(document.chunks)}"
            if key not in model.memo:
                model.memo[key] = self.measure(model, document_block(number, document))
            counts[document.document_id] = model.memo[key]
        return counts

    def seen_fraction(self, passages: list[SourcePassage]) -> dict[int, float]:
        shown: dict[int, int] = {}
        for passage in passages:
            shown[passage.chunk.document_id] = shown.get(passage.chunk.document_id, 0) + len(
                passage.chunk.text
            )
        return {
            d.document_id: shown.get(d.document_id, 0) / max(1, sum(len(c.text) for c in d.chunks))
            for d in self.documents
        }

    def prefix_length(self, model: LoadedModel, system: str) -> int:
        """Tokens the system message takes at the start of any prompt: the common prefix of two
        renders that differ only after it (works for any chat template). Remembered on the model,
        by a hash of the text, so a long document is tokenized for this once per model."""
        key = "prefix:" + hashlib.sha256(system.encode("utf-8")).hexdigest()
        known = self.known_lengths(model, system) if self.known_lengths else None
        if known is not None:
            model.memo[key] = known
        if key not in model.memo:
            one, two = (
                tokenize_prompt(model, model.chat_format.render(
                    [ChatMessage("system", system), ChatMessage("user", probe)]
                ))
                for probe in ("A", "Z")
            )
            model.memo[key] = common_prefix_length(one, two)
        return model.memo[key]
