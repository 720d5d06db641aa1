"""A document question read three ways, and the answer that stands on the document shown.

A small model misreads a passage in ways another layout of the same document often does not: on
the answer evaluation, SmolLM2 135M answered 63 of 160 questions right with one layout or the
other but only 25 with both, and the best passage alone was right on questions neither got (README,
"Answers on real documents"). So a document question is read three times: first as the packer
lays it out (the document, or passages, with the best sentence windows right before the question,
engine/context_packer), then with the best whole-paragraph passage alone, then with the six best,
as the naive baseline reads (`ContextPacker.pack_wide`, engine/paragraph_passages). Each answer goes
through the support check; of those that pass, the one whose words stand beside more of the
question's rare words in one sentence of the document is shown (engine/answer_alignment), the
earlier reading on a tie. Where only one reading found an answer and it stands nowhere near the
question's words, the reply is the honest "not found". A first reading that named something the
documents never mention ("Venice") ends there: another reading would only find another way to
answer it.

All answers are written whole before any is shown, like deliberate mode (engine/deliberation): the
wait is the readings', the answer then comes at once. A whole document's state is put back in the
model's cache after the last reading (`restore`), so that the next question finds it there.
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
from engine.model_host import Note
from engine.prompt_model import PromptModel

# A lone answer beside "not found"s is kept only when it stands at least this well on the
# document: about one rare question word beside it (log of the share of sentences holding it).
MIN_LONE_ALIGNMENT = 2.0


@dataclass(frozen=True)
class Reading:
    context: PackedContext
    result: GenerationResult
    checked: CheckedAnswer
    alignment: float  # -1 for a "not found"


def choose(readings: Sequence[Reading]) -> Reading:
    """The reading to show (see the module's docstring); `readings` in the order they were read."""
    found = [r for r in readings if not r.checked.not_found]
    if not found:
        return readings[0]
    if len(found) == 1 and len(readings) > 1 and found[0].alignment < MIN_LONE_ALIGNMENT:
        return next(r for r in readings if r.checked.not_found)
    return max(found, key=lambda r: r.alignment)  # max keeps the first of equals


Prepare = Callable[[PromptModel], PackedContext | None]


@dataclass
class Rereading:
    """One question's readings; `write` has `generate`'s signature (ModelHost.stream's writer).
    `first` is set by the packing step before `write` runs; each of `again` lays out one more
    prompt on the model's thread; `on_choice` is told which context the shown answer came from,
    before its text is handed on, so that the reply checks and cites against the right passages;
    `restore` puts the first prompt's cached prefix back after the other readings took its place."""

    question: str
    sentences: Callable[[], DocumentSentences]  # read on the model's thread, once per packer
    again: Sequence[Prepare]
    on_choice: Callable[[PackedContext], None]
    writer: Callable[..., GenerationResult] = generate
    first: PackedContext | None = None
    restore: Callable[[PromptModel, PackedContext], None] | None = None
    on_progress: Callable[[Note], None] | None = None  # each reading as it starts
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

    def tell(self, line: str, step: int, steps: int) -> None:
        if self.on_progress is not None:
            self.on_progress(Note(line, step, steps))

    def needs_more(self, first: Reading) -> bool:
        """A first answer replaced because the question names what the documents never mention
        stays the answer."""
        shown = first.context.check.shown if first.context.check else None
        return not (first.checked.not_found and shown is not None and shown.unknown)

    def layouts(self, model: PromptModel) -> list[PackedContext]:
        """The later readings' prompts, each new: a short document is the same one passage to
        the best-alone and the six-best layouts, and is then read once in that layout."""
        assert self.first is not None
        seen = [list(self.first.tokens)]
        contexts = []
        for prepare in self.again:
            context = prepare(model)
            if context is not None and list(context.tokens) not in seen:
                seen.append(list(context.tokens))
                contexts.append(context)
        return contexts

    def write(self, model: PromptModel, tokens: Sequence[int], options: GenerationOptions,
              cancel: threading.Event, on_text: Callable[[str], None], stops: Sequence[str] = (),
              started_at: float | None = None, already_read: int = 0,
              held_s: Callable[[], float] = lambda: 0.0) -> GenerationResult:
        started = started_at or time.perf_counter()
        if self.first is None or self.first.check is None:  # one reading, streamed as it comes
            return self.writer(model, tokens, options, cancel, on_text, stops, started,
                               already_read, held_s)
        later = self.layouts(model)
        count = 1 + len(later)
        self.tell(f"Reading the passages (1 of {count})…", 1, count)
        result = self.writer(model, tokens, options, cancel, lambda _piece: None, stops, started,
                             already_read, held_s)
        if result.finish_reason == "cancelled":
            on_text(result.text)  # a person stopped it: what was written, cut
            return result
        if self.needs_more(self.read(self.first, result)):
            for number, context in enumerate(later, start=2):
                if cancel.is_set():
                    break
                self.tell(f"Reading the passages again ({number} of {count})…", number, count)
                again = self.writer(model, context.tokens, options, cancel, lambda _piece: None,
                                    stops)
                if again.finish_reason == "cancelled":
                    break
                self.read(context, again)
        self.chosen = choose(self.readings)
        self.on_choice(self.chosen.context)
        on_text(self.chosen.result.text)
        ended = time.perf_counter()
        if self.restore is not None and len(self.readings) > 1:  # after the answer is handed on
            self.restore(model, self.first)
        shown = self.chosen.result
        return GenerationResult(
            text=shown.text,
            # Stopped during a later reading: the best of those done is shown, saved as cut (as
            # deliberate mode keeps the samples written before a stop).
            finish_reason="cancelled" if cancel.is_set() else shown.finish_reason,
            prompt_tokens=shown.prompt_tokens,
            cached_tokens=shown.cached_tokens,
            completion_tokens=sum(r.result.completion_tokens for r in self.readings),
            ttft_s=ended - started,
            tokens_per_s=None,
            duration_s=ended - started,
        )
