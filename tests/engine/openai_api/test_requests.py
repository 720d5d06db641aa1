"""Parsing API request bodies, without a server or a model: good bodies become typed requests, and
every bad one, however strange, becomes an InvalidRequest with a short message and OpenAI's error
fields, never another exception."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.chat_format import ChatMessage
from engine.openai_api.errors import InvalidRequest
from engine.openai_api.requests import (
    MAX_TOKENS_LIMIT,
    parse_chat_request,
    parse_completion_request,
)

CHAT = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
COMPLETION = {"model": "m", "prompt": "Once upon a time"}


def body(base: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps({**base, **changes}).encode()


def refusal(raw: bytes, parse=parse_chat_request) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        parse(raw)
    error = caught.value
    assert error.status == 400 and error.kind == "invalid_request_error"
    assert error.code and 0 < len(error.message) <= 300
    assert set(error.body()["error"]) == {"message", "type", "param", "code"}
    return error


def test_a_chat_body_becomes_a_typed_request() -> None:
    parsed = parse_chat_request(body(
        CHAT,
        messages=[{"role": "developer", "content": "Be brief."},
                  {"role": "user", "content": [{"type": "text", "text": "one"},
                                               {"type": "text", "text": "two"}]},
                  {"role": "assistant", "content": None},
                  {"role": "user", "content": "three", "name": "ada"}],
        max_tokens=50, max_completion_tokens=20, temperature=0, top_p=0.5, seed=-3,
        stop="END", stream=True, stream_options={"include_usage": True}, n=1, user="someone",
        tools=[], response_format={"type": "text"},
    ))
    assert parsed.model == "m" and parsed.stream and parsed.include_usage
    assert parsed.messages == (ChatMessage("system", "Be brief."), ChatMessage("user", "one\ntwo"),
                               ChatMessage("assistant", ""), ChatMessage("user", "three"))
    sampling = parsed.sampling
    assert sampling.max_tokens == 20  # max_completion_tokens, the newer name, wins
    assert (sampling.temperature, sampling.top_p, sampling.seed, sampling.stop) == (0.0, 0.5, -3, ("END",))


def test_omitted_settings_are_left_to_the_model() -> None:
    parsed = parse_chat_request(body(CHAT))
    assert not parsed.stream and not parsed.include_usage
    sampling = parsed.sampling
    assert sampling.max_tokens is sampling.temperature is sampling.top_p is sampling.seed is None
    assert sampling.stop == ()


def test_a_completion_body_becomes_a_typed_request() -> None:
    parsed = parse_completion_request(body(COMPLETION, prompt=["One prompt"], echo=True,
                                           stop=["\n", ""], max_tokens=5))
    assert parsed.prompt == "One prompt" and parsed.echo and parsed.sampling.max_tokens == 5
    assert parsed.sampling.stop == ("\n",)  # an empty stop string would end every reply at once


@pytest.mark.parametrize(("raw", "code"), [
    (b"", "invalid_json"),
    (b"{", "invalid_json"),
    (b"\xff\xfe\x00garbage", "invalid_json"),
    (b"[]", "invalid_json"),
    (b"null", "invalid_json"),
    (b'"a string"', "invalid_json"),
    (b'{"model": "m", "messages": [], "temperature": NaN}', "invalid_json"),
    (b'{"model": "m", "temperature": -Infinity}', "invalid_json"),
    (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),  # deeper than Python recurses
    (b'{"max_tokens": ' + b"9" * 5000 + b"}", "invalid_json"),  # more digits than int() takes
])
def test_what_is_not_a_json_object_is_refused(raw: bytes, code: str) -> None:
    assert refusal(raw).code == code


@pytest.mark.parametrize(("changes", "param", "code"), [
    ({"model": None}, "model", "missing_required_parameter"),
    ({"model": 7}, "model", "invalid_type"),
    ({"model": " "}, "model", "invalid_type"),
    ({"messages": None}, "messages", "missing_required_parameter"),
    ({"messages": "Hi"}, "messages", "invalid_type"),
    ({"messages": []}, "messages", "invalid_value"),
    ({"messages": ["Hi"]}, "messages[0]", "invalid_type"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role", "invalid_value"),
    ({"messages": [{"role": ["user"], "content": "x"}]}, "messages[0].role", "invalid_value"),
    ({"messages": [{"role": "user"}]}, "messages[0].content", "invalid_type"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", "invalid_type"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
     "messages[0].content", "unsupported_value"),
    ({"messages": [{"role": "user", "content": "\ud800"}]}, "messages[0].content", "invalid_value"),
    ({"max_tokens": "10"}, "max_tokens", "invalid_type"),
    ({"max_tokens": 10.5}, "max_tokens", "invalid_type"),
    ({"max_tokens": True}, "max_tokens", "invalid_type"),
    ({"max_tokens": 0}, "max_tokens", "invalid_value"),
    ({"max_tokens": -1}, "max_tokens", "invalid_value"),
    ({"max_tokens": MAX_TOKENS_LIMIT + 1}, "max_tokens", "invalid_value"),
    ({"max_tokens": 10**30}, "max_tokens", "invalid_value"),
    ({"temperature": "hot"}, "temperature", "invalid_type"),
    ({"temperature": 2.5}, "temperature", "invalid_value"),
    ({"top_p": -0.1}, "top_p", "invalid_value"),
    ({"seed": 1.5}, "seed", "invalid_type"),
    ({"seed": 2**64}, "seed", "invalid_value"),
    ({"presence_penalty": 3}, "presence_penalty", "invalid_value"),
    ({"stop": 5}, "stop", "invalid_type"),
    ({"stop": ["a", 1]}, "stop", "invalid_type"),
    ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "invalid_value"),
    ({"stop": "x" * 300}, "stop", "invalid_value"),
    ({"stream": "yes"}, "stream", "invalid_type"),
    ({"stream_options": True}, "stream_options", "invalid_type"),
    ({"n": 2}, "n", "unsupported_value"),
    ({"n": "1"}, "n", "unsupported_value"),
    ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools", "unsupported_parameter"),
    ({"logprobs": True}, "logprobs", "unsupported_parameter"),
    ({"response_format": {"type": "json_object"}}, "response_format", "unsupported_parameter"),
])
def test_bad_chat_fields_are_named(changes: dict[str, Any], param: str, code: str) -> None:
    fields = {**CHAT, **changes}
    if changes.get("model", "") is None:
        del fields["model"]
    error = refusal(json.dumps(fields).encode())
    assert (error.param, error.code) == (param, code)


def test_a_number_too_large_for_a_float_is_out_of_range_not_infinite() -> None:
    raw = body(CHAT)[:-1] + b', "temperature": 1e999}'  # valid JSON, which Python reads as inf
    error = refusal(raw)
    assert (error.param, error.code) == ("temperature", "invalid_value")


@pytest.mark.parametrize(("changes", "param"), [
    ({"prompt": None}, "prompt"),
    ({"prompt": [1, 2, 3]}, "prompt"),
    ({"prompt": ["one", "two"]}, "prompt"),
    ({"echo": 1}, "echo"),
    ({"suffix": "and then"}, "suffix"),
    ({"best_of": 3}, "best_of"),
])
def test_bad_completion_fields_are_named(changes: dict[str, Any], param: str) -> None:
    assert refusal(body(COMPLETION, **changes), parse_completion_request).param == param


STRANGE_VALUES = [None, True, False, 0, -1, 1.5, -0.0, 2**70, 1e308, "", "x" * 5000, "\ud800",
                  [], [None], [[[]]], {}, {"type": "text"}, {"role": "user", "content": "x"}]


@pytest.mark.parametrize("parse", [parse_chat_request, parse_completion_request])
def test_any_strange_value_in_any_field_is_taken_or_refused_cleanly(parse) -> None:
    """Every field a body may carry, set to each strange value in turn: the parse either gives a
    request or an InvalidRequest, nothing else (a table standing in for property-based testing)."""
    base = CHAT if parse is parse_chat_request else COMPLETION
    fields = ["model", "messages", "prompt", "max_tokens", "max_completion_tokens", "temperature",
              "top_p", "seed", "presence_penalty", "frequency_penalty", "stop", "stream",
              "stream_options", "echo", "n", "best_of", "tools", "tool_choice", "logprobs",
              "logit_bias", "response_format", "suffix", "user"]
    for field in fields:
        for value in STRANGE_VALUES:
            raw = json.dumps({**base, field: value}).encode()
            try:
                parse(raw)
            except InvalidRequest as error:
                assert len(error.message) <= 300, (field, value)
