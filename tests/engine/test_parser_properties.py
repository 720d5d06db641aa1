"""Properties of the parsers that meet text from outside: citation marks in a model's answer (any text,
streamed in any pieces) and the OpenAI API's request bodies (any bytes, any JSON). Whatever comes
in, the result is the typed value or the typed error, never another exception."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.citations import MARKER, CitationFilter, marker_numbers, resolve_citations
from engine.document_prompt import DocumentChunk, SourcePassage
from engine.openai_api.errors import InvalidRequest
from engine.openai_api.requests import (
    ChatRequest,
    CompletionRequest,
    parse_chat_request,
    parse_completion_request,
)
from storage.locations import Location

SOURCES = [
    SourcePassage(number, DocumentChunk(number, 1, number, text, Location(page=number)), "Report")
    for number, text in enumerate((
        "The keeper lit the lamp at dusk through forty-one stormy nights.",
        "The supply boat came twice in March with paraffin, bread and letters.",
        "An albatross named Quentin nested on the gallery rail during April.",
    ), start=1)
]
# Text that looks like what a model writes around citation marks, with marks of every shape.
answer_text = st.lists(st.one_of(
    st.text(max_size=30),
    st.sampled_from(("[1]", "[2, 3]", "[1-3]", "[9]", "[0]", "[", "]", "[2", " [3] ", "[1–2]",
                     "[99999999999999999999]", "[1;2]", "[ ]", "\n")),
), max_size=20).map("".join)


@given(answer_text, st.lists(st.integers(1, 40), max_size=10))
def test_citation_filter_streams_as_it_filters_whole(text: str, cuts: list[int]) -> None:
    """Fed in any pieces, the filter gives what it gives for the whole text, and every mark left
    points at a passage that was shown."""
    whole = CitationFilter(SOURCES)
    expected = whole.feed(text) + whole.flush()
    streamed, pieces, at = CitationFilter(SOURCES), [], 0
    for cut in cuts:
        pieces.append(text[at : at + cut])
        at += cut
    pieces.append(text[at:])
    shown = "".join(streamed.feed(piece) for piece in pieces) + streamed.flush()
    assert shown == expected
    known = {p.number for p in SOURCES}
    for mark in MARKER.finditer(shown):
        assert set(marker_numbers(mark.group(1))) <= known


@given(answer_text)
def test_resolved_citations_are_passages_that_were_shown(text: str) -> None:
    for citation in resolve_citations(text, SOURCES):
        assert citation.number in {p.number for p in SOURCES}
        assert citation.how in ("cited", "matched")
        assert len(citation.quote) <= 240


def parsed_or_refused(raw: bytes) -> None:
    for parse, kind in ((parse_chat_request, ChatRequest),
                        (parse_completion_request, CompletionRequest)):
        try:
            request = parse(raw)
        except InvalidRequest as error:
            assert error.status == 400 and str(error) and error.body()["error"]["message"]
        else:
            assert isinstance(request, kind)


@given(st.binary(max_size=300))
def test_any_bytes_are_a_request_or_a_400(raw: bytes) -> None:
    parsed_or_refused(raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FIELDS = ("model", "messages", "prompt", "max_tokens", "temperature", "top_p", "stop", "stream",
          "seed", "n", "tools", "stream_options", "presence_penalty", "frequency_penalty",
          "max_completion_tokens", "logprobs", "response_format")
message = st.fixed_dictionaries({"role": st.one_of(st.sampled_from(("user", "system", "assistant",
                                                                   "developer", "tool")), json_values),
                                 "content": st.one_of(st.text(max_size=40), json_values)})


@given(json_values)
def test_any_json_is_a_request_or_a_400(value: Any) -> None:
    parsed_or_refused(json.dumps(value).encode())


@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8),
       st.lists(message, max_size=4), st.one_of(st.text(max_size=40), json_values))
def test_nearly_right_bodies_are_a_request_or_a_400(fields: dict[str, Any], messages: list[dict],
                                                    prompt: Any) -> None:
    """Bodies with the right field names and wrong or odd values: where a parser is most likely
    to let a value through unchecked."""
    parsed_or_refused(json.dumps({"model": "m", "messages": messages, "prompt": prompt,
                                  **fields}).encode())
