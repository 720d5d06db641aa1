"""A conversation with the model: save the question, lay out the prompt, stream the answer, save it.

The user's message is committed before the model starts, so nothing typed is lost; the answer is
committed when it ends, marked as cut if it was cancelled, with its token counts and timings. With
documents pinned, retrieval runs here (on the caller's thread, which owns its SQLite connection),
packing and the saved-prefix work on the model's thread, and the answer's citations are resolved
against the passages the model was actually shown. Recall works the same way: what may be recalled
is read on the caller's thread, what fits is measured and placed on the model's.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from engine.chat_format import ChatMessage
from engine.citations import Citation
from engine.context_packer import FULL, REREADINGS, ContextPacker, PackedContext, PackingOptions
from engine.conversation_window import PackedPrompt, answer_reserve, fit_conversation
from engine.deliberation import Deliberation
from engine.document_prompt import DocumentChunk, PinnedDocument
from engine.generation import GenerationOptions, GenerationResult, abort_when
from engine.loader import LoadedModel
from engine.memory_context import MemoryBlock, fit_memories, model_counter, with_memory
from engine.memory_extraction import propose_from_conversation
from engine.memory_proposals import propose_memories
from engine.model_host import ModelHost, Note, PreparedPrompt, ReplyStream
from engine.prompt_model import PromptModel
from engine.reasoning import opens_thinking
from engine.recall import RecallCandidates, RecalledItem, RecallOptions, kept_sources, recall_candidates
from engine.recall_context import RecallBlock, fit_recalled, recall_budget, with_recalled
from engine.reply import Reply
from engine.rereading import Prepare, Rereading
from engine.state_cache import StateCache
from engine.usable_context import usable_context
from storage import ConversationStore, Message, MessageStats
from storage.answer_samples import AnswerSample, AnswerSamples
from storage.citations import CitationStore
from storage.memory_store import Memory, MemoryStore, Saved
from storage.recall_index import RecallIndex
from storage.recalled_sources import RecalledSources
from storage.word_timings import WordTiming

DEFAULT_SYSTEM_PROMPT = (
    "You are Longwit, a helpful assistant running privately on the user's computer. "
    "Answer clearly and concisely."
)
RETRIEVED_PASSAGES = 40  # candidates handed to the packer, best first
DOCUMENT_STOPS = ("\n\nQuestion:", "\nQuestion:")

# What people ask and read is logged at DEBUG only: the log holds it only with debug logging on.
logger = logging.getLogger(__name__)


@dataclass
class DocumentContext:
    """The documents pinned to a conversation and how to search them."""

    documents: list[PinnedDocument]
    search: Callable[[str, int], list[DocumentChunk]]  # (question, limit) → chunks, best first
    state_cache: StateCache | None = None
    model_key: str | None = None  # whose token counts are recorded, through record_tokens
    record_tokens: Callable[[int, str, int], None] | None = None
    usable_tokens: int | None = None  # what this model reads reliably (`longwit probe`)


class ChatSession:
    """Holds which conversation we are in, its documents, and where its window starts."""

    def __init__(
        self,
        host: ModelHost,
        store: ConversationStore,
        conversation_id: int,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        options: GenerationOptions | None = None,
        documents: DocumentContext | None = None,
        memory: bool = False,
        recall: bool = False,
        recall_options: RecallOptions | None = None,
    ) -> None:
        """With `memory`, the person's memories go into the system prompt and what the questions
        ask to remember is proposed (engine/memory_context, engine/memory_proposals). With
        `recall`, a question that needs them brings the best earlier turns and document passages
        from elsewhere before it, unless the person turned recall off for this conversation
        (engine/recall, engine/recall_context)."""
        self.host = host
        self.store = store
        self.conversation_id = conversation_id
        self.system_prompt = system_prompt
        self.options = options or GenerationOptions()
        self.documents = documents
        self.memories = MemoryStore(store.db) if memory else None
        self.recall_index = RecallIndex(store.db) if recall else None
        self.recall_options = recall_options or RecallOptions()
        self.packer = None
        # Saved document states hold a local KV cache: none for a remote engine.
        self.state_cache = documents.state_cache if documents and host.keeps_states else None
        if documents and documents.documents:
            cache = self.state_cache
            self.packer = ContextPacker(
                system_prompt, documents.documents,
                PackingOptions(usable_tokens=documents.usable_tokens),
                known_lengths=cache.known_prefix_length if cache else None,
            )
        self.window_start = 0
        self.last_packing: PackedPrompt | None = None

    def turns(self) -> list[Message]:
        """The conversation's user and assistant messages, with their ids (recall needs them)."""
        return [m for m in self.store.messages(self.conversation_id) if m.role in ("user", "assistant")]

    def history(self, turns: list[Message] | None = None) -> list[ChatMessage]:
        return [ChatMessage(m.role, m.content) for m in (self.turns() if turns is None else turns)]

    def ask(self, text: str, words: Sequence[WordTiming] = (),
            deliberation: Deliberation | None = None) -> Reply:
        """Save the question (a spoken one with its `words`' timings) and start streaming the answer;
        with a `deliberation`, several answers are written and the one most agree with comes whole.
        A question about documents is read three ways (engine/rereading); nothing of the answer
        can be shown until all are done, so each reading's start reaches the reply's reader as a
        note, in order with the pieces (`Reply.on_note`)."""
        user_message_id = self.store.add_message(self.conversation_id, "user", text, words=words)
        logger.debug("question in conversation %d: %r", self.conversation_id, text)
        proposals = self.propose_memories(text, user_message_id)
        remembered = self.remembered()
        turns = self.turns()
        history = self.history(turns)
        recall = self.recall_candidates(text, turns)
        hits = self.documents.search(text, RETRIEVED_PASSAGES) if self.packer and self.documents else []
        if self.packer is None:
            stops = self.host.call(lambda model: model.chat_format.stop_strings())
        else:
            # Small models given "…passage\n\nQuestion: q" tend to go on with a question of their own.
            stops = (*self.host.call(lambda model: model.chat_format.answer_stop_strings()),
                     *DOCUMENT_STOPS)
        reply_box: list[Reply] = []

        def told(note: Note) -> None:  # on the model's thread, with the reply made
            reply_box[0].stream.note(note)

        reading = self.rereading(text, history, hits, told) if deliberation is None else None

        def pack(model: PromptModel, cancel: threading.Event) -> PreparedPrompt:
            prepared = lay_out(model, cancel)
            thinking = opens_thinking(model.prompt_end(prepared.tokens))
            reply_box[0].starts_thinking = reply_box[0].splitter.inside = thinking
            if deliberation is not None:  # on the model's thread: the model now loaded writes
                deliberation.starts_thinking = thinking
                deliberation.writer = self.host.writer
            if reading is not None:
                reading.writer = self.host.writer
                # One reading, streamed, for a thinking model or a question that recalled
                # earlier conversations (which the other layouts would not show), and for whole
                # documents without a state cache (a remote engine): the other prompts would take
                # their place in the server's cache, and every follow-up would read them again.
                context = reply_box[0].context
                whole = context is not None and context.mode == FULL
                once = thinking or reply_box[0].recalled or (whole and self.state_cache is None)
                reading.first = None if once else context
                reading.restore = self.restore_prefix if whole else None
            return prepared

        def lay_out(model: PromptModel, cancel: threading.Event) -> PreparedPrompt:
            reply_box[0].memory = block = self.memory_block(model, remembered)
            system = with_memory(self.system_prompt, block)
            recalled = self.recall_block(model, recall, system, history)
            reply_box[0].recalled = recalled.items if recalled else []
            if self.packer is None:
                asked = ChatMessage("user", with_recalled(text, recalled))
                return PreparedPrompt(self.pack_chat(model, [*history[:-1], asked], system))
            self.packer.system_prompt = system
            context = self.packer.pack(model, history, hits, self.window_start, recalled=recalled)
            cache = self.state_cache
            prefix = None
            if cache is not None:
                prefix = cache.prepare(
                    model, context.tokens, context.prefix_tokens, cancel, context.prefix_text,
                    self.document_ids()
                )
                reply_box[0].prefix = prefix
            local = isinstance(model, LoadedModel)  # a remote engine has no decode here to abort
            with abort_when(model, cancel) if local else contextlib.nullcontext():
                ranked = self.packer.rank_evidence(model, text, hits, context)
            if ranked is not None:
                context = self.packer.pack(model, history, hits, self.window_start, ranked, recalled)
            self.last_packing = context.window
            self.window_start = context.window.start
            reply_box[0].context = context
            return PreparedPrompt(context.tokens, prefix.read_tokens if prefix else 0)

        reply = Reply(ReplyStream(), self, user_message_id, deliberation=deliberation,
                      proposals=proposals, reading=reading)
        reply_box.append(reply)
        write = None  # the model's own: llama.cpp here, or the remote engine's stream
        if deliberation is not None:
            deliberation.question = text
            write = deliberation.write
        elif reading is not None:
            reading.on_choice = lambda context: setattr(reply, "context", context)
            write = reading.write
        reply.stream = self.host.stream(pack, self.options, stops, write)
        return reply

    def rereading(self, text: str, history: list[ChatMessage], hits: list[DocumentChunk],
                  on_reading: Callable[[Note], None] | None = None) -> Rereading | None:
        """The later readings of a document question (engine/rereading), when they are on and
        retrieval found passages to read."""
        packer = self.packer
        if packer is None or not packer.options.rereading or not hits:
            return None
        start = self.window_start

        def layout(count: int) -> Prepare:
            return lambda model: packer.pack_wide(model, history, hits, start, count)

        return Rereading(text, packer.document_sentences, [layout(n) for n in REREADINGS],
                         lambda _context: None, on_progress=on_reading)

    def restore_prefix(self, model: PromptModel, context: PackedContext) -> None:
        """Put a whole document's saved state back in the model's cache after the other readings
        took its place, so that the next question finds it there: a load of the state file, never
        a pre-fill (a state too large to save is read again by the next question, as before)."""
        cache = self.state_cache
        if cache is not None and isinstance(model, LoadedModel):
            cache.restore(model, list(context.tokens[: context.prefix_tokens]))

    def prefill(self, cancel: threading.Event | None = None) -> PackedContext | None:
        """Read the pinned documents into the model's cache (restoring or saving their state) before
        the first question, so that answer starts at once; returns the packing, which says the mode
        (whole documents or passages) and how many tokens they take. None without documents."""
        if self.packer is None or self.documents is None:
            return None
        packer, cache = self.packer, self.state_cache
        history = [*self.history(), ChatMessage("user", "?")]
        stop = cancel or threading.Event()
        remembered = self.remembered()

        def work(model: PromptModel) -> PackedContext:
            packer.system_prompt = with_memory(self.system_prompt,
                                               self.memory_block(model, remembered))
            context = packer.pack(model, history, [], self.window_start)
            if cache is not None:
                cache.prepare(model, context.tokens, context.prefix_tokens, stop, context.prefix_text,
                              self.document_ids())
            return context

        context = self.host.call(work)
        self.record_token_counts(context.document_tokens)
        return context

    def document_ids(self) -> list[int]:
        """The pinned documents, which a saved prefix state is indexed with."""
        return [d.document_id for d in self.documents.documents] if self.documents else []

    def record_token_counts(self, counts: dict[int, int]) -> None:
        """Store each document's size in this model's tokens the first time it is known."""
        documents = self.documents
        if documents is None or documents.record_tokens is None or documents.model_key is None:
            return
        for document in documents.documents:
            if document.token_count is None and document.document_id in counts:
                documents.record_tokens(document.document_id, documents.model_key,
                                        counts[document.document_id])
        if self.packer is not None:
            self.packer.documents = documents.documents = [
                replace(d, token_count=counts.get(d.document_id, d.token_count))
                for d in documents.documents
            ]

    def propose_memories(self, text: str, message_id: int) -> list[Saved]:
        """What the question asks to remember: proposed, or saved at once with auto-save on."""
        if self.memories is None:
            return []
        return propose_memories(self.memories, text, message_id,
                                self.memories.settings().auto_save)

    def end(self) -> list[Saved]:
        """The conversation is over (the person left it): propose as memories the facts they
        stated about themselves in it (engine/memory_extraction). Nothing without memory."""
        if self.memories is None:
            return []
        return propose_from_conversation(self.store, self.conversation_id)

    def remembered(self) -> tuple[list[Memory], int] | None:
        """The memories in effect here and their token budget, read on the caller's thread (which
        owns the connection); None without memory."""
        if self.memories is None:
            return None
        budget = self.memories.settings().budget_tokens
        return self.memories.in_effect(self.conversation_id), budget

    def recall_candidates(self, text: str, turns: list[Message]) -> RecallCandidates | None:
        """What may be recalled for the question, read on the caller's thread (which owns the
        connection); None without recall, with recall off here, or when nothing qualifies. Turns
        of this conversation before the window (as the last answer left it) may be recalled; the
        visible ones, the question among them, are already in the prompt."""
        if self.recall_index is None or not self.store.recall_enabled(self.conversation_id):
            return None
        visible = turns[min(self.window_start, len(turns) - 1)].id if turns else 0
        items = recall_candidates(self.recall_index, text, self.conversation_id, visible,
                                  self.recall_options)
        if not items:
            return None
        usable = self.documents.usable_tokens if self.documents else None
        if usable is None and self.host.card is not None:
            usable = usable_context(self.store.db, self.host.card.path).tokens
        return RecallCandidates(items, usable or self.recall_options.ceiling)

    def recall_block(self, model: PromptModel, recall: RecallCandidates | None, system: str,
                     history: list[ChatMessage]) -> RecallBlock | None:
        """The recalled texts that fit this turn's budget, measured in this model's tokens (on the
        model's thread); texts the prompt already holds are left out."""
        if recall is None:
            return None
        reserve = answer_reserve(model, self.options.max_tokens)
        budget = recall_budget(recall.usable_tokens, model.n_ctx, reserve,
                               model.count_tokens(history[-1].content), self.recall_options)
        shown = [system, *(m.content for m in history[self.window_start:])]
        return fit_recalled(recall.items, budget, model_counter(model), shown,
                            self.recall_options.max_items)

    @staticmethod
    def memory_block(model: PromptModel,
                     remembered: tuple[list[Memory], int] | None) -> MemoryBlock | None:
        """The memories that fit, measured in this model's tokens (on the model's thread)."""
        if remembered is None:
            return None
        memories, budget = remembered
        return fit_memories(memories, budget, model_counter(model))

    def pack_chat(self, model: PromptModel, history: list[ChatMessage], system_text: str) -> list[int]:
        system = ChatMessage("system", system_text) if system_text else None
        reserve = answer_reserve(model, self.options.max_tokens)
        self.last_packing = fit_conversation(model, system, history, self.window_start, reserve)
        self.window_start = self.last_packing.start
        return self.last_packing.tokens

    def window_notices(self) -> list[str]:
        """What the person should know about the window for the last answer."""
        packing = self.last_packing
        notices = []
        if packing and packing.left_out:
            notices.append(
                f"{packing.left_out} earlier message{'s' if packing.left_out != 1 else ''} "
                "no longer fit the model's context window; they stay in the history."
            )
        if packing and packing.shortened:
            notices.append(
                "Your message was too long for the context window; its middle was left out."
            )
        return notices

    def log_answer(self, reply: Reply) -> None:
        """Its figures always; its text only at DEBUG."""
        result = reply.result
        if result is None:
            return
        mode = reply.context.mode if reply.context is not None else "chat"
        logger.info("answer %s in conversation %d (%s): %d prompt tokens (%d cached), %d written, %s",
                    reply.message_id, self.conversation_id, mode, result.prompt_tokens,
                    result.cached_tokens, result.completion_tokens, result.finish_reason)
        logger.debug("answer %s: %r", reply.message_id, reply.text)

    def save_samples(self, message_id: int, deliberation: Deliberation) -> None:
        """Keep every answer a deliberate answer was chosen from, with its group."""
        groups = deliberation.groups
        assert groups is not None
        AnswerSamples(self.store.db).add(message_id, [
            AnswerSample(index, text, groups.group_of(index), index == groups.chosen,
                         deliberation.answers[index].completion_tokens)
            for index, text in enumerate(deliberation.texts)
        ])

    def save_answer(self, result: GenerationResult, text: str, citations: list[Citation],
                    cut: bool, reasoning: str = "", recalled: Sequence[RecalledItem] = ()) -> int:
        """Save the answer with its citations and what was recalled for it (kept so the window
        can show and follow them later)."""
        card = self.host.card
        stats = MessageStats(
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            ttft_s=result.ttft_s,
            tokens_per_s=result.tokens_per_s,
            duration_s=result.duration_s,
            cached_tokens=result.cached_tokens,
        )
        message_id = self.store.add_message(
            self.conversation_id,
            "assistant",
            text,
            model=card.name if card else None,
            stats=stats,
            cut=cut,
            reasoning=reasoning,
        )
        if citations:
            CitationStore(self.store.db).add(
                message_id, [(c.number, c.chunk_id, c.how) for c in citations]
            )
        if recalled:
            RecalledSources(self.store.db).add(message_id, kept_sources(list(recalled)))
        return message_id
