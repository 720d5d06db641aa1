"""Server-sent events as OpenAI-compatible servers stream them: `data: {json}` lines, a blank line
between events, `: comment` keep-alives, and `data: [DONE]` at the end. Parsed from lines, so that
it can be tested without a server; anything else is a malformed stream, reported as such."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

DONE = "[DONE]"


class MalformedEvent(ValueError):
    """A line that is not what an OpenAI-compatible stream sends; its message says what it was."""


@dataclass(frozen=True)
class StreamEnd:
    """`data: [DONE]`: the server says the answer is complete."""


def sample(text: str, width: int = 60) -> str:
    """The start of something unexpected, for a message: one line, cut."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= width else flat[: width - 1] + "…")


def events(lines: Iterable[str]) -> Iterator[dict[str, Any] | StreamEnd]:
    """Each event's JSON object, then StreamEnd if the server sent `[DONE]`. A `data:` event split
    over several lines is joined as the SSE format says; llama.cpp's `error: {…}` lines become an
    object with an "error" key, as OpenAI's own error events are."""
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield parse("\n".join(data))
                data = []
            continue
        if line.startswith(":"):
            continue  # a keep-alive comment
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            if value == DONE:
                yield StreamEnd()
                return
            data.append(value)
        elif field == "error":
            yield {"error": parse(value)}
        elif field in ("event", "id", "retry"):
            continue
        else:
            raise MalformedEvent(f"a line that is not a server-sent event: {sample(line)}")
    if data:
        yield parse("\n".join(data))


def parse(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedEvent(f"an event that is not JSON: {sample(text)}") from error
    if not isinstance(value, dict):
        raise MalformedEvent(f"an event that is not a JSON object: {sample(text)}")
    return value
