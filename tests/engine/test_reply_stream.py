"""The reply stream between the model's thread and its reader, with the real bundled model: with
`read_ahead` the model waits while its reader is busy (the voice loop synthesizing a clause), goes on
when the reader does (with 0, one piece per piece asked for), and stops at once when cancelled while
waiting."""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.generation import GenerationOptions
from engine.model_host import ModelHost

STORY = "Once upon a time, in a tall lighthouse by the grey sea, there lived"


def story_tokens(host: ModelHost) -> list[int]:
    return host.call(lambda model: model.llama.tokenize(STORY.encode()))


def until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Wait for what the model's thread does, however busy the machine is."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the model's thread never got there"
        time.sleep(0.01)


def test_the_model_waits_for_a_reader_that_stops_reading(host: ModelHost) -> None:
    options = GenerationOptions(max_tokens=60, temperature=0.7, read_ahead=2)
    stream = host.stream(story_tokens(host), options)
    pieces = iter(stream)
    first = next(pieces)
    until(lambda: stream.pieces.qsize() == 2)  # two pieces ahead: the model now waits
    time.sleep(0.3)  # a busy reader
    assert stream.pieces.qsize() == 2 and stream.result is None
    rest = list(pieces)
    result = stream.wait()
    assert first + "".join(rest) == result.text and result.completion_tokens > 3
    assert stream.held_s >= 0.25  # the wait is counted, and left out of the speed
    overall = result.completion_tokens / result.duration_s
    assert result.tokens_per_s is not None and result.tokens_per_s > overall


def test_with_no_read_ahead_the_model_writes_only_what_is_asked_for(host: ModelHost) -> None:
    stream = host.stream(story_tokens(host), GenerationOptions(max_tokens=40, temperature=0, read_ahead=0))
    pieces = iter(stream)
    taken = [next(pieces)]
    time.sleep(0.3)  # the reader is busy with the first piece: no second one is written meanwhile
    assert stream.pieces.qsize() == 0 and stream.result is None
    taken.append(next(pieces))  # asked for, the next piece comes
    time.sleep(0.3)
    assert stream.pieces.qsize() == 0
    taken.extend(pieces)
    result = stream.wait()
    assert "".join(taken) == result.text and result.completion_tokens > 3 and stream.held_s >= 0.5


def test_a_waiting_model_stops_when_cancelled(host: ModelHost) -> None:
    stream = host.stream(story_tokens(host), GenerationOptions(max_tokens=200, read_ahead=1))
    next(iter(stream))
    time.sleep(0.2)
    stream.cancel()
    result = stream.wait()
    assert result.finish_reason == "cancelled" and result.completion_tokens < 10
    assert host.call(lambda model: model.n_ctx) > 0  # the model's thread is free again


def test_without_read_ahead_the_model_writes_on(host: ModelHost) -> None:
    stream = host.stream(story_tokens(host), GenerationOptions(max_tokens=20, temperature=0.7))
    next(iter(stream))
    until(lambda: stream.pieces.qsize() > 2)  # with nobody reading, it writes on
    stream.wait()
    assert stream.held_s == 0.0


def test_the_same_prompt_asked_again_is_answered_again(host: ModelHost) -> None:
    """The whole prompt is then in the KV cache, followed by the last answer: the answer must be
    generated from the prompt's own logits, not from those left by the end of the last answer."""
    tokens = host.call(lambda model: model.llama.tokenize(b"The three primary colours are"))
    options = GenerationOptions(max_tokens=12, temperature=0)
    first = host.stream(tokens, options).wait()
    again = host.stream(tokens, options).wait()
    assert first.completion_tokens > 0 and again.text == first.text
    assert again.cached_tokens == len(tokens) - 1  # all but the last token, read again for its logits
