"""Two readings of a question about documents, and the one that stands on the document shown.

A small model misreads a passage in ways a second look with other passages often does not: on the
answer evaluation, SmolLM2 135M answered 63 of 160 questions right with one layout or the other
but only 25 with both (README, "Answers on real documents"). So a document question is read twice:
first as the packer lays it out (evidence windows before the question, engine/context_packer), then
as the naive baseline reads it: the six best whole-paragraph passages, best first, under one plain
instruction (`ContextPacker.pack_wide`, engine/paragraph_passages). Each
answer goes through the support check; of two that pass, the one whose words stand beside more of
the question's rare words in one sentence of the document is shown (engine/answer_alignment).
Where one reading found nothing and the other's answer stands nowhere near the question's words,
the reply is the honest "not found". A first reading that named something the documents never
mention ("Venice") ends there: the second reading would only find another way to answer it.

Both answers are written whole before either is shown, like deliberate mode (engine/deliberation):
the wait is the two readings', the answer then comes at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.answer_alignment import DocumentSentences
from engine.context_packer import PackedContext
from engine.document_answer import CheckedAnswer, checked_answer
from engine.generation import GenerationOptions, GenerationResult, generate
from engine.prompt_model import PromptModel

# A lone answer beside a "not found" is kept only when it stands at least this well on the
# document: about one rare question word beside it (log of the share of sentences holding it).
MIN_LONE_ALIGNMENT = 2.0


@dataclass(frozen=True)
class Reading:
    context: PackedContext
    result: GenerationResult
    checked: CheckedAnswer
    alignment: float  # -1 for a "not found"


def choose(first: Reading, second: Reading | None) -> Reading:
    """The reading to show (see the module's docstring)."""
    if second is None:
        return first
    if first.checked.not_found and second.checked.not_found:
        return first
    if second.checked.not_found:
        return first if first.alignment >= MIN_LONE_ALIGNMENT else second
    if first.checked.not_found:
        return second if second.alignment >= MIN_LONE_ALIGNMENT else first
    return first if first.alignment >= second.alignment else second


@dataclass
class SecondReading:
    """One question's two readings; `write` has `generate`'s signature (ModelHost.stream's writer).
    `first` is set by the packing step before `write` runs; `prepare_second` lays out the second
    prompt on the model's thread; `on_choice` is told which context the shown answer came from,
    before its text is handed on, so that the reply checks and cites against the right passages."""

    question: str
    sentences: Callable[[], DocumentSentences]  # read on the model's thread, once per packer
    prepare_second: Callable[[PromptModel], PackedContext | None]
    on_choice: Callable[[PackedContext], None]
    writer: Callable[..., GenerationResult] = generate
    first: PackedContext | None = None
    on_progress: Callable[[str], None] | None = None  # a line while nothing can be shown yet
    readings: list[Reading] = field(default_factory=list)
    chosen: Reading | None = None

    def read(self, context: PackedContext, result: GenerationResult) -> Reading:
        assert context.check is not None
        checked = checked_answer(result.text, context.check)
        alignment = -1.0 if checked.not_found else self.sentences().alignment(checked.text,
                                                                              self.question)
        reading = Reading(context, result, checked, alignment)
        self.readings.append(reading)
        return reading

    def tell(self, line: str) -> None:
        if self.on_progress is not None:
            self.on_progress(line)

    def needs_second(self, first: Reading) -> bool:
        """A first answer replaced because the question names what the documents never mention
        stays the answer."""
        shown = first.context.check.shown if first.context.check else None
        return not (first.checked.not_found and shown is not None and shown.unknown)

    def write(self, model: PromptModel, tokens: Sequence[int], options: GenerationOptions,
              cancel: threading.Event, on_text: Callable[[str], None], stops: Sequence[str] = (),
              started_at: float | None = None, already_read: int = 0,
              held_s: Callable[[], float] = lambda: 0.0) -> GenerationResult:
        started = started_at or time.perf_counter()
        if self.first is None or self.first.check is None:  # one reading, streamed as it comes
            return self.writer(model, tokens, options, cancel, on_text, stops, started,
                               already_read, held_s)
        self.tell("Reading the passages (1 of 2)…")
        result = self.writer(model, tokens, options, cancel, lambda _piece: None, stops, started,
                             already_read, held_s)
        if result.finish_reason == "cancelled":
            on_text(result.text)  # a person stopped it: what was written, cut
            return result
        first = self.read(self.first, result)
        second = None
        if self.needs_second(first) and not cancel.is_set():
            context = self.prepare_second(model)
            if context is not None:
                self.tell("Reading the passages again (2 of 2)…")
                again = self.writer(model, context.tokens, options, cancel, lambda _piece: None,
                                    stops)
                if again.finish_reason != "cancelled":
                    second = self.read(context, again)
        self.chosen = choose(first, second)
        self.on_choice(self.chosen.context)
        on_text(self.chosen.result.text)
        ended = time.perf_counter()
        shown = self.chosen.result
        return GenerationResult(
            text=shown.text,
            # Stopped during the second reading: the first is shown, saved as cut (as deliberate
            # mode keeps the samples written before a stop).
            finish_reason="cancelled" if cancel.is_set() else shown.finish_reason,
            prompt_tokens=shown.prompt_tokens,
            cached_tokens=shown.cached_tokens,
            completion_tokens=sum(r.result.completion_tokens for r in self.readings),
            ttft_s=ended - started,
            tokens_per_s=None,
            duration_s=ended - started,
        )
