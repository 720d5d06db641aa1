"""Chat with the real bundled model: answers stream token by token and are saved, follow-ups reuse
the cached prefix, cancellation is prompt and keeps the cut answer, and a conversation longer than
the window goes on."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine.chat_session import ChatSession
from engine.generation import GenerationOptions, StopStringFilter
from engine.loader import LoadOptions
from engine.model_host import ModelHost
from storage import ConversationStore

# Cancellation must land within this many seconds. The issue asks for 100 ms (the benchmark
# measures it); the test allows for a loaded CI machine while still failing if cancellation only
# takes effect at the end of a 512-token batch or of the whole answer.
CANCEL_BOUND_S = 0.5


def long_text(words: int) -> str:
    sentence = "The quick brown fox jumps over the lazy dog near the river bank at dawn. "
    return (sentence * (words // 15 + 1)).strip()


def test_answer_streams_in_pieces_and_is_saved(host: ModelHost, store: ConversationStore) -> None:
    conversation = store.create()
    session = ChatSession(host, store, conversation, options=GenerationOptions(max_tokens=60))
    reply = session.ask("List three colours of the rainbow.")
    arrivals = [(time.perf_counter(), piece) for piece in reply]
    result = reply.result
    assert result is not None and result.completion_tokens >= 3
    assert len(arrivals) >= 3 and arrivals[-1][0] > arrivals[0][0]  # many pieces, over time
    text = "".join(piece for _, piece in arrivals)
    saved = store.messages(conversation)
    assert [(m.role, m.content) for m in saved] == [
        ("user", "List three colours of the rainbow."),
        ("assistant", text),
    ]
    answer = saved[1]
    assert not answer.cut and answer.model == "smollm2-135m-instruct"
    assert answer.stats.completion_tokens == result.completion_tokens
    assert answer.stats.prompt_tokens == result.prompt_tokens
    assert answer.stats.ttft_s is not None and answer.stats.ttft_s > 0


def test_follow_up_reuses_the_cached_conversation(host: ModelHost, store: ConversationStore) -> None:
    conversation = store.create()
    session = ChatSession(host, store, conversation, options=GenerationOptions(max_tokens=40))
    first = session.ask("Describe a lighthouse in two sentences. " + long_text(200))
    first.finish()
    follow_up = session.ask("Why are they painted in stripes?")
    result = follow_up.finish()
    assert first.result is not None
    # Everything up to the previous answer is reused; only its re-tokenized answer and the new
    # question are read again.
    assert result.cached_tokens >= first.result.prompt_tokens - 1
    assert result.prefilled_tokens < result.prompt_tokens / 3


def test_cancel_mid_answer_stops_promptly_and_saves_cut(
    host: ModelHost, store: ConversationStore
) -> None:
    conversation = store.create()
    session = ChatSession(host, store, conversation, options=GenerationOptions(max_tokens=1500))
    reply = session.ask("Count from one to five hundred in words, one number per line.")
    received = []
    for piece in reply:
        received.append(piece)
        if len(received) == 5:
            cancelled_at = time.perf_counter()
            reply.cancel()
    stopped_after = time.perf_counter() - cancelled_at
    assert stopped_after < CANCEL_BOUND_S
    assert reply.result is not None and reply.result.finish_reason == "cancelled"
    answer = store.messages(conversation)[-1]
    assert answer.role == "assistant" and answer.cut
    assert answer.content == "".join(received)
    assert reply.result.completion_tokens < 100


def test_cancel_during_a_long_prefill_stops_inside_the_batch(
    host: ModelHost, store: ConversationStore
) -> None:
    conversation = store.create()
    session = ChatSession(host, store, conversation, options=GenerationOptions(max_tokens=20))
    reply = session.ask("Summarise this. " + long_text(1200))
    time.sleep(0.1)  # well inside a prefill that takes seconds on this machine
    cancelled_at = time.perf_counter()
    reply.cancel()
    result = reply.finish()
    assert time.perf_counter() - cancelled_at < CANCEL_BOUND_S
    assert result.finish_reason == "cancelled" and result.completion_tokens == 0
    assert store.messages(conversation)[-1].cut
    # The model is left in a usable state: the next question is answered normally.
    again = session.ask("Say hello.")
    assert again.finish().finish_reason in ("stop", "length")
    assert again.result is not None and again.result.completion_tokens > 0


def test_conversation_longer_than_the_window_goes_on(models_dir: Path, store: ConversationStore):
    small = ModelHost(models_dir)
    small.load(None, LoadOptions(n_ctx=512, seed=3))
    try:
        conversation = store.create()
        session = ChatSession(host=small, store=store, conversation_id=conversation,
                              options=GenerationOptions(max_tokens=120))
        notices: list[str] = []
        questions = [f"Tell me a story about a {animal}." for animal in
                     ("dragon", "fox", "whale", "owl", "horse", "cat")]
        for question in questions:
            reply = session.ask(question)
            reply.finish()
            notices.extend(reply.notices)
            assert reply.result is not None and reply.result.prompt_tokens < 512
        assert session.window_start > 0
        assert any("no longer fit" in notice for notice in notices)
        assert len(store.messages(conversation)) == 2 * len(questions)  # nothing left the database
    finally:
        small.close()


def test_message_longer_than_the_window_is_shortened_not_refused(
    models_dir: Path, store: ConversationStore
) -> None:
    small = ModelHost(models_dir)
    small.load(None, LoadOptions(n_ctx=512))
    try:
        session = ChatSession(small, store, store.create(), options=GenerationOptions(max_tokens=16))
        reply = session.ask("Start. " + long_text(3000) + " What animal jumps?")
        result = reply.finish()
        assert result.prompt_tokens <= 512 - 16
        assert any("middle was left out" in notice for notice in reply.notices)
        assert len(store.messages(session.conversation_id)[0].content) > 10_000  # saved whole
    finally:
        small.close()


def test_cancel_from_another_thread_while_the_reader_waits(
    host: ModelHost, store: ConversationStore
) -> None:
    session = ChatSession(host, store, store.create(), options=GenerationOptions(max_tokens=1500))
    reply = session.ask("Write a very long essay about the history of bridges.")
    timer = threading.Timer(0.3, reply.cancel)
    timer.start()
    result = reply.finish()
    timer.join()
    assert result.finish_reason == "cancelled"


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (["Hello", " wor", "ld\nUs", "er: more"], "Hello world"),
        (["a\nU", "nits are fine"], "a\nUnits are fine"),
        (["<|im_", "end|>tail"], ""),
        (["Done.\n", "\nUser: next"], "Done."),  # the earliest stop wins, not the first listed
    ],
)
def test_stop_strings_are_held_back_until_decided(pieces: list[str], expected: str) -> None:
    stop_filter = StopStringFilter(["\nUser:", "<|im_end|>", "\n\nUser:"])
    out = "".join(stop_filter.feed(piece) for piece in pieces) + stop_filter.flush()
    assert out == expected
