"""Deliberate mode: several answers from the same prompt, the one most of them agree with shown.

One sampled answer from a small model is often wrong in a way another sample is not; the answer
that most samples agree on is right more often (self-consistency). All samples share one prompt, so
the prompt (documents included) is read once and stays in the KV cache: each further sample costs
only its own tokens. The first sample uses the person's settings (greedy for documents), so when
the others agree with it, deliberate mode shows exactly what a plain answer would have; the others
are sampled warmer, each with its own seed, so they can disagree.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from engine.answer_agreement import AnswerGroups, group_answers
from engine.generation import GenerationOptions, GenerationResult, generate
from engine.prompt_model import PromptModel
from engine.reasoning import split_reasoning

DEFAULT_SAMPLES = 5
SAMPLE_TEMPERATURE = 0.7  # at least this warm for the samples after the first
SAMPLE_TOP_K = 40
SAMPLE_MIN_TOKENS = 32
SEED = 20_261_205  # the samples' seeds are SEED + 1…: the same question gets the same samples

Progress = Callable[[int, int], None]  # (samples finished, samples in all), from the model thread


class TimeLeft:
    """How long the remaining samples will take, from the ones written so far: the first also read
    the prompt, so the pace is taken from the second on. Call `left_s` as each sample ends."""

    def __init__(self) -> None:
        self.first_done: float | None = None

    def left_s(self, done: int, total: int) -> float | None:
        now = time.perf_counter()
        self.first_done = self.first_done or now
        if not 1 < done < total:
            return None
        return (now - self.first_done) / (done - 1) * (total - done)

    def describe(self, done: int, total: int) -> str:
        left = self.left_s(done, total)
        tail = f", about {left:.0f} s left" if left is not None else ""
        return f"answer {done} of {total} written{tail}"


def agreement_line(agreeing: int, answers: int) -> str:
    """"4 of 5 answers agree": the same words on the terminal, in the window and when read back."""
    return f"{agreeing} of {answers} answers agree"


def sample_options(options: GenerationOptions, first_tokens: int) -> GenerationOptions:
    """The options of the samples after the first: the person's, warm enough to differ, and at
    most twice as long as the first answer (warm samples of a small model ramble on; what they
    answer is in their first sentences, and the cost stays about K times one answer)."""
    longest = max(SAMPLE_MIN_TOKENS, 2 * first_tokens)
    return replace(options, temperature=max(options.temperature, SAMPLE_TEMPERATURE),
                   top_k=max(options.top_k, SAMPLE_TOP_K), max_tokens=min(options.max_tokens, longest))


@dataclass
class Deliberation:
    """The samples of one deliberate answer and how they group; filled on the model thread."""

    samples: int = DEFAULT_SAMPLES
    question: str = ""
    on_progress: Progress | None = None
    answers: list[GenerationResult] = field(default_factory=list)
    groups: AnswerGroups | None = None
    starts_thinking: bool = False  # the prompt opened a thinking tag: each sample starts inside it
    # What writes each sample: llama.cpp's `generate`, or the remote engine's (the host's writer).
    writer: Callable[..., GenerationResult] = generate

    @property
    def texts(self) -> list[str]:
        """Each sample's answer, its thinking left out."""
        return [split_reasoning(a.text, self.starts_thinking)[1].strip() for a in self.answers]

    @property
    def chosen(self) -> int | None:
        return self.groups.chosen if self.groups else None

    def summary(self) -> str:
        """"4 of 5 answers agree" (or what was done before a cancel)."""
        if self.groups is None:
            return f"0 of {self.samples} answers written"
        done = len(self.answers)
        agreed = agreement_line(self.groups.agreeing, done)
        return agreed if done == self.samples else f"{agreed} (stopped after {done} of {self.samples})"

    def others(self) -> list[str]:
        """The answers not in the chosen group, one per other group, largest group first."""
        if self.groups is None:
            return []
        texts = self.texts
        return [texts[group[0]] for group in self.groups.groups[1:]]

    def write(self, model: PromptModel, tokens: Sequence[int], options: GenerationOptions,
              cancel: threading.Event, on_text: Callable[[str], None], stops: Sequence[str] = (),
              started_at: float | None = None, already_read: int = 0,
              held_s: Callable[[], float] = lambda: 0.0) -> GenerationResult:
        """`generate`'s signature (ModelHost.stream's writer): write the samples one after another,
        then hand on the chosen one whole. Its figures are the whole deliberation's: time to the
        chosen text, every sample's tokens."""
        started = started_at or time.perf_counter()
        for index in range(self.samples):
            if cancel.is_set():
                break
            sampled = replace(options if index == 0 else sample_options(
                options, self.answers[0].completion_tokens), seed=SEED + index)
            result = self.writer(model, tokens, sampled, cancel, lambda _piece: None, stops,
                              started if index == 0 else None, already_read if index == 0 else 0)
            if result.finish_reason == "cancelled":
                break
            self.answers.append(result)
            if self.on_progress is not None:
                self.on_progress(len(self.answers), self.samples)
        if not self.answers:
            return GenerationResult.cancelled_before_start()
        self.groups = group_answers(self.texts, self.question)
        first, chosen = self.answers[0], self.answers[self.groups.chosen]
        on_text(chosen.text)
        ended = time.perf_counter()
        return GenerationResult(
            text=chosen.text,
            finish_reason="cancelled" if cancel.is_set() else chosen.finish_reason,
            prompt_tokens=first.prompt_tokens,
            cached_tokens=first.cached_tokens,
            completion_tokens=sum(a.completion_tokens for a in self.answers),
            ttft_s=ended - started,
            tokens_per_s=None,
            duration_s=ended - started,
        )
