"""A reasoning model's thinking, kept apart from its answer as it streams.

Qwen3, DeepSeek-R1 and their kin write `<think>…</think>` before the answer (R1's template opens
the tag in the prompt, so only the closing one comes back). The thinking is shown folded, never
read aloud and never fed back into later turns, so it is split off here, piece by piece, holding
back any text that may be the start of a tag. A tag counts only where the answer has not yet
begun: an answer that is about `<think>` tags keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TAGS = (("<think>", "</think>"), ("<thinking>", "</thinking>"), ("<reasoning>", "</reasoning>"))


def opens_thinking(prompt_tail: str) -> bool:
    """Whether a prompt ends inside an opened thinking tag (the model's output starts thinking)."""
    tail = prompt_tail.rstrip()
    return any(tail.endswith(opening) for opening, _ in TAGS)


def partial_suffix(text: str, tags: list[str]) -> int:
    """How many characters at the end of `text` could begin one of `tags`."""
    for size in range(min(len(text), max(len(t) for t in tags) - 1), 0, -1):
        if any(t.startswith(text[-size:]) for t in tags):
            return size
    return 0


@dataclass
class ReasoningSplitter:
    """Feed the model's pieces; get (thinking, answer) text as it becomes certain which it is."""

    inside: bool = False  # the output starts inside a thinking tag
    closing: str = "</think>"
    answer_started: bool = False
    pending: str = ""
    reasoning: list[str] = field(default_factory=list)

    def feed(self, piece: str) -> tuple[str, str]:
        self.pending += piece
        thought, said = [], []
        while self.pending:
            if self.inside:
                end = self.pending.find(self.closing)
                if end < 0:
                    keep = partial_suffix(self.pending, [self.closing])
                    thought.append(self.pending[: len(self.pending) - keep])
                    self.pending = self.pending[len(self.pending) - keep :]
                    break
                thought.append(self.pending[:end])
                self.pending = self.pending[end + len(self.closing) :].lstrip()
                self.inside = False
                continue
            if self.answer_started:
                said.append(self.pending)
                self.pending = ""
                break
            stripped = self.pending.lstrip()
            opening = next(((o, c) for o, c in TAGS if stripped.startswith(o)), None)
            if opening is not None:
                self.pending = stripped[len(opening[0]) :]
                self.inside, self.closing = True, opening[1]
                continue
            if not stripped or partial_suffix(stripped, [o for o, _ in TAGS]) == len(stripped):
                break  # only whitespace, or what may yet be an opening tag: wait for more
            self.answer_started = True
        text = "".join(thought)
        self.reasoning.append(text)
        return text, "".join(said)

    def flush(self) -> tuple[str, str]:
        """The end of the output: what is left is thinking if a tag was never closed, else answer."""
        rest, self.pending = self.pending, ""
        if self.inside:
            self.reasoning.append(rest)
            return rest, ""
        return "", rest

    @property
    def thinking(self) -> str:
        return "".join(self.reasoning).strip()


def split_reasoning(text: str, inside: bool = False) -> tuple[str, str]:
    """(thinking, answer) of a whole output."""
    splitter = ReasoningSplitter(inside=inside)
    _, answer = splitter.feed(text)
    _, rest = splitter.flush()
    return splitter.thinking, (answer + rest)
