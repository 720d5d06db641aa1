"""Fitting a conversation into the window with the real tokenizer: the oldest turns leave in one step
down to half the budget, at a turn the person started, and a conversation of thousands of turns is
fitted with a handful of tokenizations rather than one per turn it might start at."""

from __future__ import annotations

from collections.abc import Callable

from engine.chat_format import ChatMessage
from engine.conversation_window import fit_conversation, tokenize_prompt
from engine.loader import LoadedModel
from engine.model_host import ModelHost

SYSTEM = ChatMessage("system", "You are Longwit.")
RESERVE = 512


def conversation(turns: int) -> list[ChatMessage]:
    history = []
    for turn in range(turns):
        history.append(ChatMessage("user", f"Question {turn}: what did the keeper log on day {turn}?"))
        history.append(ChatMessage("assistant", f"On day {turn} the keeper logged calm seas, "
                                                f"{turn % 7} ships and a lamp lit at dusk."))
    history.append(ChatMessage("user", "What did we talk about first?"))
    return history


def linear_start(model: LoadedModel, history: list[ChatMessage], budget: int) -> int:
    """The rule as first written, one tokenization per candidate: the reference."""
    def size(start: int) -> int:
        return len(tokenize_prompt(model, model.chat_format.render([SYSTEM, *history[start:]])))

    start = 0
    if size(0) > budget:
        for candidate in [i for i, m in enumerate(history) if m.role == "user" and i > 0]:
            start = candidate
            if size(candidate) <= budget // 2:
                break
    return start


def counting_tokenizer(model: LoadedModel) -> tuple[list[int], Callable[[], None]]:
    calls = [0]
    original = model.llama.tokenize

    def tokenize(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    model.llama.tokenize = tokenize
    return calls, lambda: delattr(model.llama, "tokenize")


def test_the_window_starts_where_the_one_by_one_rule_started(host: ModelHost) -> None:
    def check(model: LoadedModel) -> None:
        budget = model.n_ctx - RESERVE
        for turns in (3, 40, 120):
            history = conversation(turns)
            packed = fit_conversation(model, SYSTEM, history, 0, RESERVE)
            assert packed.start == linear_start(model, history, budget)
            assert history[packed.start].role == "user" and len(packed.tokens) <= budget

    host.call(check)


def test_thousands_of_turns_take_a_few_tokenizations(host: ModelHost) -> None:
    def check(model: LoadedModel) -> None:
        history = conversation(3000)
        calls, restore = counting_tokenizer(model)
        try:
            packed = fit_conversation(model, SYSTEM, history, 0, RESERVE)
        finally:
            restore()
        assert calls[0] <= 20
        budget = model.n_ctx - RESERVE
        assert len(packed.tokens) <= budget // 2 and packed.left_out == packed.start > 5000
        assert history[packed.start].role == "user"
        # The next turn keeps the same start: the cached prefix holds.
        longer = [*history, ChatMessage("assistant", "We talked about day 0."),
                  ChatMessage("user", "And then?")]
        assert fit_conversation(model, SYSTEM, longer, packed.start, RESERVE).start == packed.start

    host.call(check)
