"""One answer as it is written: the stream read piece by piece, a reasoning model's thinking split
off, the document check applied as it goes, and the answer saved once when it ends (cut, if it was
stopped). ChatSession.ask makes it; the reader iterates it (the terminal, the window, the voice loop).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.citations import Citation
from engine.context_packer import PackedContext
from engine.deliberation import Deliberation
from engine.document_answer import DocumentAnswerFilter, checked_answer
from engine.generation import GenerationResult
from engine.memory_context import MemoryBlock
from engine.model_host import Note, ReplyStream
from engine.reasoning import ReasoningSplitter, split_reasoning
from engine.recall import RecalledItem
from engine.rereading import Reading, Rereading
from engine.state_cache import PrefixOutcome
from storage.memory_store import Saved

REPEATING = "The answer was stopped: it had begun to repeat itself."

if TYPE_CHECKING:
    from engine.chat_session import ChatSession


@dataclass
class Reply:
    """One answer being generated. Iterate it for text; `result` and `message_id` once finished."""

    stream: ReplyStream
    session: ChatSession
    user_message_id: int
    notices: list[str] = field(default_factory=list)
    result: GenerationResult | None = None
    message_id: int | None = None
    context: PackedContext | None = None
    prefix: PrefixOutcome | None = None
    citations: list[Citation] = field(default_factory=list)
    text: str = ""
    filter: DocumentAnswerFilter | None = None
    released: str = ""  # what the reader has been shown so far
    unsupported: bool = False  # cut or replaced: the passages did not hold what the model wrote
    not_found: bool = False  # the reply says the documents do not hold the answer
    # Generation was stopped by the answer check (unsupported, or repeating itself), not a person.
    stopped_unsupported: bool = False
    deliberation: Deliberation | None = None  # deliberate mode: the samples this answer was chosen from
    reading: Rereading | None = None  # a document question read again: its readings, the chosen
    # A reasoning model's thinking is split off as it streams: never shown as the answer, read
    # aloud or fed back. `on_thinking` gets it piece by piece (the window folds it away).
    splitter: ReasoningSplitter = field(default_factory=ReasoningSplitter)
    starts_thinking: bool = False  # the prompt opened the thinking tag (DeepSeek-R1's template)
    on_thinking: Callable[[str], None] | None = None
    thinking: str = ""
    # What the reader says for a note about the work (engine/model_host.Note), met on its own
    # thread as it happens: text passed on as a piece but never part of the answer or saved (the
    # voice loop's "Let me check the document." while the passages are read); None says nothing.
    on_note: Callable[[Note], str | None] | None = None
    memory: MemoryBlock | None = None  # the person's memories in the prompt, and any left out
    proposals: list[Saved] = field(default_factory=list)  # memories the question asked to keep
    # Earlier conversations' turns and other documents' passages put before the question, with
    # where each came from (engine/recall), best first.
    recalled: list[RecalledItem] = field(default_factory=list)

    @property
    def first_reading(self) -> Reading | None:
        """Of a question read more than once, the first reading (None when it was read once)."""
        return self.reading.readings[0] if self.reading is not None and self.reading.readings \
            else None

    @property
    def laid_out(self) -> PackedContext | None:
        """How the documents were put before the model: the first reading's packing, whichever
        reading's answer is shown (`context`). What the mode line and the window's gauge say."""
        first = self.first_reading
        return first.context if first is not None else self.context

    @property
    def read_again(self) -> bool:
        """Whether the answer shown is a later reading's (engine/rereading)."""
        reading = self.reading
        return reading is not None and reading.chosen is not None and \
            reading.chosen is not reading.readings[0]

    def __iter__(self) -> Iterator[str]:
        try:
            for piece in self.stream.items():
                if isinstance(piece, Note):
                    said = self.on_note(piece) if self.on_note is not None else None
                    if said:
                        yield said
                    continue
                shown = self.filtered(self.answer_part(*self.splitter.feed(piece)))
                if shown:
                    yield shown
                if self.filter is not None and self.filter.stopped:
                    self.stopped_unsupported = True
                    self.stream.cancel()  # nothing more of it will be shown
                    break
            rest = self.filtered(self.answer_part(*self.splitter.flush()))
            if rest:
                yield rest
            tail = self.filter.flush() if self.filter else ""
            self.released += tail
            if tail:
                yield tail
            self.finish()
            if self.not_found and not self.released.strip():
                yield self.text  # the honest reply, in place of what was held back
        except BaseException:
            # Ctrl-C in the reader, or a reader that stopped reading (GeneratorExit): stop the
            # model before saving, or finish() would wait for the whole answer.
            self.cancel()
            raise
        finally:
            self.finish()

    def answer_part(self, thought: str, said: str) -> str:
        """Hand the thinking to `on_thinking`; return the answer's part."""
        if thought and self.on_thinking is not None:
            self.on_thinking(thought)
        return said

    def filtered(self, piece: str) -> str:
        """The piece as the person should see it: unknown citation numbers removed, and about
        documents, only sentences the passages support."""
        if self.filter is None and self.context is not None and self.context.check is not None:
            self.filter = DocumentAnswerFilter(self.context.check)
        if self.filter is None or not piece:
            return piece
        shown = self.filter.feed(piece)
        self.released += shown
        return shown

    def until(self, cancel: threading.Event) -> Iterator[str]:
        """The pieces until `cancel` is set, which stops generation; the answer is saved either way
        (cut if stopped). This is how the voice loop, which owns the cancel event, reads a reply."""
        try:
            for piece in self:
                if cancel.is_set():
                    self.cancel()
                    break
                yield piece
        finally:
            self.finish()

    def cancel(self) -> None:
        self.stream.cancel()

    def finish(self) -> GenerationResult:
        """Wait for the end of generation and save the answer (once), cut or whole."""
        if self.result is None:
            self.result = self.stream.wait()
            self.thinking, answer = split_reasoning(self.result.text, self.starts_thinking)
            self.text = answer
            stopped_by_person = self.result.finish_reason == "cancelled" and not self.stopped_unsupported
            if self.context is not None and self.context.check is not None:
                # The same filter as the stream, so the saved text is what was shown (a reader
                # that stopped early saw a prefix of it). An answer a person stopped is kept as far
                # as it went, checked but not replaced.
                checked = checked_answer(answer, self.context.check, complete=not stopped_by_person)
                self.text, self.citations = checked.text, checked.citations
                self.unsupported, self.not_found = checked.unsupported, checked.not_found
                if self.unsupported and not self.not_found:
                    self.notices.append("The answer was cut where it stopped following the passages.")
                elif checked.repeated and self.result.finish_reason != "repetition":
                    self.notices.append(REPEATING)
            self.message_id = self.session.save_answer(self.result, self.text, self.citations,
                                                       stopped_by_person, self.thinking,
                                                       self.recalled)
            if self.deliberation is not None and self.deliberation.groups is not None:
                self.session.save_samples(self.message_id, self.deliberation)
                self.notices.append(self.deliberation.summary() + ".")
            self.session.log_answer(self)
            if self.context is not None:
                self.session.record_token_counts(self.context.document_tokens)
            self.notices.extend(self.session.window_notices())
            if self.memory is not None and self.memory.notice():
                self.notices.append(str(self.memory.notice()))
            if self.result.finish_reason == "length" and self.result.completion_tokens:
                self.notices.append("The answer stopped at the token limit.")
            if self.result.finish_reason == "repetition":
                self.notices.append(REPEATING)
        return self.result
