"""Server-sent events as OpenAI-compatible servers write them, parsed line by line: keep-alive
comments and event names skipped, a `data:` event over several lines joined, llama.cpp's `error:`
lines kept as errors, `[DONE]` ending the stream, and anything else refused with what it was."""

from __future__ import annotations

import pytest

from engine.remote.server_events import MalformedEvent, StreamEnd, events


def test_events_comments_and_the_end() -> None:
    lines = [": ping", "", 'data: {"a": 1}', "", "event: message", 'data: {"b":', 'data: 2}', "",
             "data: [DONE]", "", 'data: {"after": "the end"}']
    assert list(events(lines)) == [{"a": 1}, {"b": 2}, StreamEnd()]


def test_an_error_line_becomes_an_error_event() -> None:
    lines = ['error: {"code": 500, "message": "the slot was lost"}', ""]
    assert list(events(lines)) == [{"error": {"code": 500, "message": "the slot was lost"}}]


def test_a_stream_that_ends_without_done_ends_without_stream_end() -> None:
    assert list(events(['data: {"a": 1}'])) == [{"a": 1}]


@pytest.mark.parametrize(("lines", "words"), [
    (["<html><body>Sign in</body></html>"], "a line that is not a server-sent event: '<html>"),
    (["data: {'single': 'quotes'}", ""], "an event that is not JSON"),
    (["data: [1, 2, 3]", ""], "an event that is not a JSON object"),
])
def test_what_is_not_an_event_stream_is_named(lines: list[str], words: str) -> None:
    with pytest.raises(MalformedEvent) as raised:
        list(events(lines))
    assert words in str(raised.value)
