"""Fitting a conversation into the model's context window.

The prompt is the system prompt followed by the most recent turns that fit, leaving room for the
answer. When the conversation outgrows the window, the oldest turns leave it (they stay in the
database) in one step, down to half the budget, so that the next several turns share the same
prefix and llama.cpp keeps reusing its KV cache instead of re-reading a prompt that shifts by one
turn every time. A single message too long for the window is shortened in the middle.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.chat_format import ChatMessage
from engine.errors import EngineError
from engine.loader import LoadedModel
from engine.prompt_model import PromptModel

SHORTENED_MARK = "\n[…]\n"


@dataclass(frozen=True)
class PackedPrompt:
    tokens: list[int]
    start: int  # index of the first history message inside the window
    left_out: int  # earlier messages outside the window
    shortened: bool  # the last message was cut in the middle to fit


def tokenize_prompt(model: LoadedModel, text: str) -> list[int]:
    return model.prompt_text_tokens(text)


def answer_reserve(model: PromptModel, max_tokens: int) -> int:
    return max(16, min(max_tokens, model.n_ctx // 4))


def shorten_middle(text: str, keep_chars: int) -> str:
    keep_chars = max(0, keep_chars)
    head = keep_chars * 2 // 3
    tail = keep_chars - head
    return text[:head] + SHORTENED_MARK + (text[-tail:] if tail else "")


MAX_CHARS_PER_TOKEN = 32  # no tokenizer makes a token of more characters than this, in practice


def skip_hopeless(history: list[ChatMessage], start: int, starts: list[int], budget: int) -> int:
    """The first start, from `start` on, whose messages hold few enough characters to fit the
    budget at MAX_CHARS_PER_TOKEN characters a token; the last candidate if none does."""
    remaining = sum(len(m.content) for m in history[start:])
    ceiling = budget * MAX_CHARS_PER_TOKEN
    previous = start
    for candidate in starts:
        if remaining <= ceiling:
            break
        remaining -= sum(len(m.content) for m in history[previous:candidate])
        previous = candidate
    return previous


def fit_conversation(
    model: PromptModel,
    system: ChatMessage | None,
    history: list[ChatMessage],
    start: int,
    reserve: int,
    cue: str = "Assistant:",
) -> PackedPrompt:
    """Lay out system prompt + history[start:], moving `start` forward if the window overflows."""
    budget = model.n_ctx - reserve
    prefix = [system] if system else []

    def tokens_for(messages: list[ChatMessage]) -> list[int]:
        return model.prompt_tokens(prefix + messages, cue)

    last_user = max((i for i, m in enumerate(history) if m.role == "user"), default=0)
    start = min(start, last_user)
    starts = [i for i, m in enumerate(history) if m.role == "user" and i > start]
    # A window longer than any token could make is not tokenized at all: a conversation of
    # thousands of turns would otherwise be tokenized whole, then once per turn it might start at.
    start = skip_hopeless(history, start, starts, budget)
    starts = [i for i in starts if i > start]
    tokens = tokens_for(history[start:])
    if len(tokens) > budget and starts:
        # The earliest turn from which the window takes at most half the budget (the rest grows
        # into the other half over the next turns): the suffixes shrink as the start moves on, so
        # a binary search finds it in a few tokenizations.
        low, high = 0, len(starts) - 1
        found = None
        while low <= high:
            middle = (low + high) // 2
            candidate = tokens_for(history[starts[middle]:])
            if len(candidate) <= budget // 2:
                found, high = (starts[middle], candidate), middle - 1
            else:
                low = middle + 1
        start, tokens = found or (starts[-1], tokens_for(history[starts[-1]:]))
    if len(tokens) <= budget:
        return PackedPrompt(tokens, start, start, shortened=False)

    # Only the last message is left and it alone is too long: keep its beginning and its end.
    window = history[start:]
    last = window[-1]
    low, high = 0, len(last.content)
    while low < high:  # the longest shortened text that fits
        middle = (low + high + 1) // 2
        shortened = ChatMessage(last.role, shorten_middle(last.content, middle))
        if len(tokens_for([*window[:-1], shortened])) <= budget:
            low = middle
        else:
            high = middle - 1
    shortened = ChatMessage(last.role, shorten_middle(last.content, low))
    tokens = tokens_for([*window[:-1], shortened])
    if len(tokens) > budget:
        raise EngineError(
            f"The system prompt alone does not fit the {model.n_ctx:,}-token context window; "
            "shorten it or load the model with a larger --ctx."
        )
    return PackedPrompt(tokens, start, start, shortened=True)
