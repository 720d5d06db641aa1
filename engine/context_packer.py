"""The ContextPacker lays out the prompt for a turn with pinned documents.

Layout: system prompt and documents first (a prefix that stays byte-identical from turn to turn,
so llama.cpp reuses its KV cache and the prefix can be saved to disk), then the conversation, then
the question with the best sentence windows repeated and numbered right before it (engine/evidence).
Full-context mode puts the documents in whole when they fit within what this model reads reliably
(`PackingOptions.usable_tokens`, from `longwit probe`); passage mode fills that budget with the best
passages by BM25 (the hits first, then their neighbours) and says how much of each document the
model saw. It never asks for more than the window holds, and it hands the answer check
(engine/document_answer) what the model was shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from engine.answer_alignment import DocumentSentences
from engine.answer_support import ShownText
from engine.chat_format import ChatMessage
from engine.conversation_window import PackedPrompt, fit_conversation
from engine.document_answer import AnswerCheck
from engine.document_prompt import (
    DocumentChunk,
    PinnedDocument,
    SourcePassage,
    document_block,
    number_passages,
    question_with_passages,
    system_with_documents,
)
from engine.evidence import Evidence, best_windows, says_more
from engine.evidence_ranking import rank_by_question_bits
from engine.kv_cache import common_prefix_length, reusable_prefix
from engine.loader import LoadedModel
from engine.paragraph_passages import ParagraphPassage, paragraph_passages
from engine.prompt_model import PromptModel
from engine.recall_context import RecallBlock, with_recalled
from storage.passage_index import PassageIndex

FULL, PASSAGES = "full", "passages"
# The later readings' layout (engine/rereading): the naive baseline's (whole paragraphs packed to
# ~800 characters, engine/paragraph_passages), which SmolLM2 135M reads right on other questions
# than the evidence-window layout; first the best passage alone, then the six best.
WIDE_PASSAGES = 6
REREADINGS = (1, WIDE_PASSAGES)
WIDE_INSTRUCTION = "Answer the question using only the passages."
HISTORY_SHARE = 0.25  # of the budget kept for the conversation in passage mode
QUESTION_ALLOWANCE = 256  # tokens held for a question and its evidence windows in full-context mode


@dataclass(frozen=True)
class PackingOptions:
    # The best sentence windows repeated, numbered, right before the question in either mode:
    # what a small model answers from (engine/evidence.py). Every token after the cached prefix is
    # paid again on each turn (about 5 ms each for Gemma 3 at 16K tokens of context on two cores).
    evidence_windows: int = 3
    window_neighbours: int = 1  # sentences on each side of an evidence sentence
    neighbours: int = 1  # chunks on each side of a hit, in passage mode
    answer_reserve: int = 512
    # The longest context this model reads reliably (`longwit probe`): documents go in whole only
    # up to it, and passage mode fills at most this much. None: the whole window.
    usable_tokens: int | None = None
    # In passage mode, retrieved chunks fill the usable budget before the evidence windows; off,
    # the evidence windows alone are shown.
    passage_context: bool = True
    # In passage mode, passages in reverse order of rank (the best last, by the question) rather
    # than in document order.
    best_last: bool = True
    # Passages numbered for citing [1]; off, plain passages under a one-line instruction. On the
    # evaluation SmolLM2 135M answered as often either way (README), so passages stay citable.
    numbered: bool = True
    # How many BM25 sentence windows the model itself ranks, by the bits of the question each
    # saves (engine/evidence_ranking), before the best `evidence_windows` are kept; 0: BM25 alone.
    model_ranking: int = 0
    # Words added to the question from the best sentences before they are ranked again
    # (pseudo-relevance feedback, engine/evidence.expanded); 0: the question's own words.
    query_expansion: int = 0
    # The question also before the passages, so a small model reads them knowing what is asked.
    question_first: bool = False
    # Read a document question again, as the best whole-paragraph passage alone and as the six
    # best under a plain instruction, and show the answer that stands on the document
    # (engine/rereading).
    rereading: bool = True


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
    check: AnswerCheck | None = None  # what the answer must stay within

    def describe(self) -> str:
        if self.mode == FULL:
            total = sum(self.document_tokens.values())
            count = len(self.document_tokens)
            return (f"full-context mode: the model read all {total:,} tokens of the "
                    f"{'document' if count == 1 else f'{count} documents'}")
        shares = ", ".join(
            f"{share:.1%}" if share < 0.1 else f"{share:.0%}" for share in self.seen_fraction.values()
        )
        return ("passage mode: the documents are longer than this model reads reliably; "
                f"the model saw {shares} of them")


@dataclass
class ContextPacker:
    """Packs turns for one conversation; lives on the model's thread with its caches."""

    system_prompt: str
    documents: list[PinnedDocument]
    options: PackingOptions = field(default_factory=PackingOptions)
    # Token counts of prefixes saved before (StateCache.known_prefix_length), so a new process
    # does not tokenize a whole book twice just to find where its prefix ends.
    known_lengths: Callable[[PromptModel, str], int | None] | None = None
    _whole_text: ShownText | None = field(default=None, repr=False)
    _sentences: DocumentSentences | None = field(default=None, repr=False)
    _paragraphs: list[ParagraphPassage] | None = field(default=None, repr=False)
    _ranked: tuple[str, list[ParagraphPassage]] | None = field(default=None, repr=False)
    # Each chunk's tokens, measured once per conversation rather than on every turn.
    _chunk_tokens: dict[int, int] = field(default_factory=dict, repr=False)

    def pack(
        self,
        model: PromptModel,
        history: list[ChatMessage],
        hits: list[DocumentChunk],
        start: int,
        evidence: list[Evidence] | None = None,
        recalled: RecallBlock | None = None,
    ) -> PackedContext:
        """history ends with the question; hits are the retrieved chunks, best first; `evidence`,
        when given, replaces the BM25 evidence windows (see `rank_evidence`); `recalled` texts from
        earlier conversations and other documents go before the passages (engine/recall_context)."""
        reserve = min(self.options.answer_reserve, model.n_ctx // 4)
        budget = model.n_ctx - reserve
        usable = min(budget, self.options.usable_tokens or budget)
        titles = {d.document_id: d.title for d in self.documents}
        asked = history[-1].content
        if evidence is None:
            evidence = best_windows(asked, hits, self.options.evidence_windows,
                                    self.options.window_neighbours, self.options.query_expansion)
        best = [SourcePassage(n, e.chunk, titles.get(e.chunk.document_id, "document"), e.text)
                for n, e in enumerate(evidence, start=1)]
        numbered = self.options.numbered
        whole = system_with_documents(self.system_prompt, self.documents, True, numbered)
        question = with_recalled(
            question_with_passages(asked, best, numbered, self.options.question_first), recalled)
        # The same decision for every question (and for the pre-fill before the first, which has
        # none), or a document read whole on drop would be packed as passages when asked about.
        prefix = self.prefix_length(model, whole)
        if prefix + QUESTION_ALLOWANCE <= usable:
            # Windows of long sentences can pass the allowance: the weakest go, not the document.
            shown, asking = best, question
            while shown and prefix + model.count_tokens(asking) > budget:
                shown = shown[:-1]
                asking = with_recalled(
                    question_with_passages(asked, shown, numbered, self.options.question_first),
                    recalled)
            if prefix + model.count_tokens(asking) <= budget:
                return self.finish(model, whole, history, asking, shown, start, reserve, FULL,
                                   recalled=recalled)
        brief = system_with_documents(self.system_prompt, self.documents, False, numbered)
        room = usable - self.prefix_length(model, brief) - model.count_tokens(question)
        chosen = []
        if self.options.passage_context:
            chosen = self.fill_passages(model, hits, int(room * (1 - HISTORY_SHARE)) - 64, asked)
        if self.options.best_last:
            # Hits, then their neighbours, turned round: the best hit and the best window end up
            # right before the question, where a small model reads best.
            hits = [SourcePassage(0, c, titles.get(c.document_id, "document")) for c in chosen[::-1]]
            shown = [*hits, *best[::-1]]
        else:
            shown = [*number_passages(chosen, titles), *best]
        passages = [replace(p, number=n) for n, p in enumerate(shown, start=1)]
        question = with_recalled(
            question_with_passages(asked, passages, numbered, self.options.question_first), recalled)
        closest = passages[-1] if self.options.best_last and best else None
        return self.finish(model, brief, history, question, passages, start, reserve, PASSAGES,
                           closest, recalled)

    def pack_wide(self, model: PromptModel, history: list[ChatMessage], hits: list[DocumentChunk],
                  start: int, count: int = WIDE_PASSAGES) -> PackedContext | None:
        """A later reading's prompt: the best whole-paragraph passages by BM25 (up to `count` of
        six, as many as fit), best first, plain, under one instruction and no documents in the system
        message (engine/paragraph_passages); None without hits or passages."""
        if not hits:
            return None
        reserve = min(self.options.answer_reserve, model.n_ctx // 4)
        budget = model.n_ctx - reserve - model.count_tokens(WIDE_INSTRUCTION) - 64
        titles = {d.document_id: d.title for d in self.documents}
        asked = history[-1].content
        chosen = self.best_paragraphs(asked)[:count]
        passages = [SourcePassage(n, p.chunk, titles.get(p.chunk.document_id, "document"), p.text)
                    for n, p in enumerate(chosen, start=1)]
        while passages:
            question = question_with_passages(asked, passages, numbered=False)
            if model.count_tokens(question) <= budget:
                return self.finish(model, WIDE_INSTRUCTION, history, question, passages, start,
                                   reserve, PASSAGES, passages[0])
            passages = passages[:-1]
        return None

    def best_paragraphs(self, asked: str) -> list[ParagraphPassage]:
        """Up to six whole-paragraph passages for `asked` by BM25, best first, each saying more
        than the question. The last question's are kept: each later reading asks for them."""
        if self._ranked is None or self._ranked[0] != asked:
            if self._paragraphs is None:
                self._paragraphs = [p for d in self.documents for p in paragraph_passages(d.chunks)]
            index = PassageIndex([p.text for p in self._paragraphs])
            try:
                ranked = [self._paragraphs[i] for i in index.search(asked, WIDE_PASSAGES * 2)]
            finally:
                index.close()
            self._ranked = (asked, [p for p in ranked if says_more(asked, p.text)][:WIDE_PASSAGES])
        return self._ranked[1]

    def document_sentences(self) -> DocumentSentences:
        """The pinned documents' sentences, read once per packer (engine/answer_alignment)."""
        if self._sentences is None:
            self._sentences = DocumentSentences(c.text for d in self.documents for c in d.chunks)
        return self._sentences

    def rank_evidence(self, model: PromptModel, asked: str, hits: list[DocumentChunk],
                      context: PackedContext) -> list[Evidence] | None:
        """The evidence windows the model ranks best, read after `context`'s prefix (put in the KV
        cache here if it is not there yet); None when model ranking is off or has nothing to rank."""
        count = self.options.model_ranking
        if count <= self.options.evidence_windows or not hits or not isinstance(model, LoadedModel):
            return None  # the model's own bits need its logits here (not a remote engine's)
        candidates = best_windows(asked, hits, count, self.options.window_neighbours,
                                  self.options.query_expansion)
        if len(candidates) <= self.options.evidence_windows:
            return None
        prefix = context.tokens[: context.prefix_tokens]
        base = reusable_prefix(model, prefix)
        if base < len(prefix):
            model.llama.n_tokens = base
            model.llama.eval(prefix[base:])
        return rank_by_question_bits(model, len(prefix), asked, candidates,
                                     self.options.evidence_windows)

    def fill_passages(self, model: PromptModel, hits: list[DocumentChunk], room: int,
                      asked: str) -> list:
        """The best hits until `room` tokens are used, then their neighbours while room is left:
        with a small budget, six hits tell a small model more than two hits and their neighbours.
        A chunk of headings alone (a title, "Spectre (2015 film)" twice) is left out: BM25 ranks
        it high for being short, and it took the room of the chunk that held the answer."""
        by_place = {(c.document_id, c.ordinal): c for d in self.documents for c in d.chunks}
        chosen: dict[tuple[int, int], DocumentChunk] = {}
        used = 0

        def take(places: list[tuple[int, int]]) -> None:
            nonlocal used
            for place in places:
                chunk = by_place.get(place)
                if chunk is None or place in chosen or not says_more(asked, chunk.text):
                    continue
                if chunk.chunk_id not in self._chunk_tokens:
                    self._chunk_tokens[chunk.chunk_id] = model.count_tokens(chunk.text)
                cost = self._chunk_tokens[chunk.chunk_id] + 16  # number and label
                if used + cost <= room:
                    chosen[place] = chunk
                    used += cost

        take([(hit.document_id, hit.ordinal) for hit in hits])
        # Neighbours of the hits shown only: beside a hit that did not fit, a short scrap of a
        # chunk ("13. Use with the GNU Affero General Public License.") says nothing, and SmolLM2
        # copied such scraps back as its answer.
        take([(document_id, ordinal + step)
              for document_id, ordinal in list(chosen)
              for distance in range(1, self.options.neighbours + 1)
              for step in (-distance, distance)])
        return list(chosen.values())

    def finish(
        self,
        model: PromptModel,
        system: str,
        history: list[ChatMessage],
        question: str,
        passages: list[SourcePassage],
        start: int,
        reserve: int,
        mode: str,
        closest: SourcePassage | None = None,
        recalled: RecallBlock | None = None,
    ) -> PackedContext:
        turns = [*history[:-1], ChatMessage("user", question)]
        window = fit_conversation(model, ChatMessage("system", system), turns, start, reserve,
                                  cue=model.chat_format.answer_cue)
        seen = self.seen_fraction(passages) if mode == PASSAGES else {
            d.document_id: 1.0 for d in self.documents
        }
        prefix = min(self.prefix_length(model, system), len(window.tokens))
        return PackedContext(window.tokens, prefix, system, mode, passages, seen, window,
                             self.document_tokens(model),
                             self.answer_check(mode, passages, history[-1].content, closest,
                                               recalled))

    def answer_check(self, mode: str, passages: list[SourcePassage], asked: str,
                     closest: SourcePassage | None,
                     recalled: RecallBlock | None = None) -> AnswerCheck:
        """What the answer may draw on: every passage shown, any recalled text, the question's
        words that the documents hold, and in full-context mode the whole documents (read into
        word sets once per packer)."""
        # Longwit's own earlier answers are shown to the model but support nothing: an invented
        # answer recalled from an earlier conversation would otherwise vouch for itself.
        recalled_texts = [item.text for item in recalled.items
                          if item.role != "assistant"] if recalled else []
        if self._whole_text is None:
            self._whole_text = ShownText.of(c.text for d in self.documents for c in d.chunks)
        known = ShownText.of(recalled_texts)
        known.extend(self._whole_text)
        shown = ShownText.of([*(p.text for p in passages), *recalled_texts], question=asked,
                             documents=known)
        if mode == FULL:
            shown.extend(self._whole_text)
        # The closest passage to offer with a "not found": the best evidence window, else the
        # passage shown nearest the question.
        if closest is None:
            windows = [p for p in passages if p.shown]
            closest = windows[0] if windows else (passages[-1] if passages else None)
        return AnswerCheck(passages, shown, closest, len(self.documents))

    def document_tokens(self, model: PromptModel) -> dict[int, int]:
        """Each document's size in this model's tokens: stored, or measured once per process."""
        counts = {}
        for number, document in enumerate(self.documents, start=1):
            if document.token_count is not None:
                counts[document.document_id] = document.token_count
                continue
            key = f"document:{document.document_id}:{len(document.chunks)}"
            if key not in model.memo:
                model.memo[key] = model.count_tokens(document_block(number, document))
            counts[document.document_id] = model.memo[key]
        return counts

    def seen_fraction(self, passages: list[SourcePassage]) -> dict[int, float]:
        """Each document's share the model saw, counting a chunk once however often it is shown
        (an evidence window repeats part of a passage)."""
        shown: dict[int, int] = {}
        for chunk in {p.chunk.chunk_id: p.chunk for p in passages}.values():
            shown[chunk.document_id] = shown.get(chunk.document_id, 0) + len(chunk.text)
        return {
            d.document_id: shown.get(d.document_id, 0) / max(1, sum(len(c.text) for c in d.chunks))
            for d in self.documents
        }

    def prefix_length(self, model: PromptModel, system: str) -> int:
        """Tokens the system message takes at the start of any prompt: the common prefix of two
        renders that differ only after it (works for any chat template). Remembered on the model,
        by a hash of the text, so a long document is tokenized for this once per model."""
        key = "prefix:" + hashlib.sha256(system.encode("utf-8")).hexdigest()
        known = self.known_lengths(model, system) if self.known_lengths else None
        if known is not None:
            model.memo[key] = known
        if key not in model.memo:
            one, two = (
                model.prompt_tokens([ChatMessage("system", system), ChatMessage("user", probe)])
                for probe in ("A", "Z")
            )
            model.memo[key] = common_prefix_length(one, two)
        return model.memo[key]
