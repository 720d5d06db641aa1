"""Request bodies of the OpenAI API, checked and turned into typed objects before anything touches
the model. Pure: bytes in, a frozen dataclass or an `InvalidRequest` out, so that hostile input
(bad JSON, wrong types, absurd numbers) becomes a clear 400 and never reaches llama.cpp.

Parameters that would change what a reply means and that Longwit cannot honour (`n` > 1, tools,
log-probabilities, JSON mode) are refused by name rather than silently ignored; fields it does not
know are ignored, as OpenAI's newer fields appear faster than any server follows them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.chat_format import ChatMessage
from engine.openai_api.errors import InvalidRequest

MAX_STOPS = 4  # as OpenAI
MAX_STOP_CHARS = 256  # a stop string is held back while it may be forming: keep that cheap
MAX_TOKENS_LIMIT = 2**31 - 1  # larger is a mistake, not a wish; smaller is capped to the window
SEED_LIMIT = 2**63
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}

# Parameters refused unless they hold the value that means "off".
REFUSED_UNLESS: dict[str, Callable[[Any], bool]] = {
    "tools": lambda v: v is None or v == [],
    "functions": lambda v: v is None or v == [],
    "tool_choice": lambda v: v in (None, "none", "auto"),
    "function_call": lambda v: v in (None, "none", "auto"),
    "logprobs": lambda v: v in (None, False, 0),
    "top_logprobs": lambda v: v in (None, 0),
    "logit_bias": lambda v: v is None or v == {},
    "response_format": lambda v: v is None or v == {"type": "text"},
    "suffix": lambda v: v is None or v == "",
    "audio": lambda v: v is None,
    "modalities": lambda v: v is None or v == ["text"],
}


@dataclass(frozen=True)
class Sampling:
    """What a request asks of generation; None: the model's own setting."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    sampling: Sampling
    stream: bool = False
    include_usage: bool = False  # stream_options.include_usage: a last chunk with the token counts


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    prompt: str
    sampling: Sampling
    stream: bool = False
    include_usage: bool = False
    echo: bool = False  # the reply's text begins with the prompt


def parse_chat_request(body: bytes) -> ChatRequest:
    """A /v1/chat/completions body, checked."""
    fields = json_object(body)
    refuse_unsupported(fields, ("n", "best_of"))
    return ChatRequest(
        model=model_name(fields),
        messages=messages(fields.get("messages")),
        sampling=sampling(fields),
        stream=flag(fields, "stream"),
        include_usage=include_usage(fields),
    )


def parse_completion_request(body: bytes) -> CompletionRequest:
    """A /v1/completions body, checked."""
    fields = json_object(body)
    refuse_unsupported(fields, ("n", "best_of"))
    return CompletionRequest(
        model=model_name(fields),
        prompt=prompt_text(fields.get("prompt")),
        sampling=sampling(fields),
        stream=flag(fields, "stream"),
        include_usage=include_usage(fields),
        echo=flag(fields, "echo"),
    )


def refuse_constant(name: str) -> float:
    raise InvalidRequest(f"The body is not valid JSON: {name} is not a JSON number.", "invalid_json")


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; NaN and Infinity (which Python's json accepts) are refused."""
    try:
        value = json.loads(body, parse_constant=refuse_constant)
    except UnicodeDecodeError as error:
        raise InvalidRequest("The body is not UTF-8 text.", "invalid_json") from error
    except (ValueError, RecursionError) as error:  # JSONDecodeError, too many digits, too deep
        raise InvalidRequest(f"The body is not valid JSON ({first_line(error)}).",
                             "invalid_json") from error
    if not isinstance(value, dict):
        raise InvalidRequest(f"The body must be a JSON object, not {json_type(value)}.", "invalid_json")
    return value


def refuse_unsupported(fields: dict[str, Any], single: tuple[str, ...]) -> None:
    for name in single:
        value = fields.get(name)
        if value is not None and not (is_int(value) and value == 1):
            raise InvalidRequest(f"'{name}' must be 1: this server writes one answer per request "
                                 "(send several requests instead).", "unsupported_value", name)
    for name, off in REFUSED_UNLESS.items():
        if name in fields and not off(fields[name]):
            raise InvalidRequest(f"'{name}' is not supported by this server; leave it out.",
                                 "unsupported_parameter", name)


def model_name(fields: dict[str, Any]) -> str:
    value = fields.get("model")
    if value is None:
        raise InvalidRequest("'model' is required (see /v1/models for the one served here).",
                             "missing_required_parameter", "model")
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("'model' must be a model's name, a non-empty string.", "invalid_type", "model")
    return encodable(value, "model")


def messages(value: Any) -> tuple[ChatMessage, ...]:
    if value is None:
        raise InvalidRequest("'messages' is required: a list of {role, content} objects.",
                             "missing_required_parameter", "messages")
    if not isinstance(value, list):
        raise InvalidRequest(f"'messages' must be a list, not {json_type(value)}.", "invalid_type",
                             "messages")
    if not value:
        raise InvalidRequest("'messages' is empty: send at least one message.", "invalid_value",
                             "messages")
    return tuple(message(item, f"messages[{index}]") for index, item in enumerate(value))


def message(item: Any, where: str) -> ChatMessage:
    if not isinstance(item, dict):
        raise InvalidRequest(f"'{where}' must be an object with a role and content.", "invalid_type", where)
    role = item.get("role")
    if not isinstance(role, str) or role not in ROLES:
        known = ", ".join(sorted(ROLES))
        raise InvalidRequest(f"'{where}.role' must be one of {known}; got {short(role)}.",
                             "invalid_value", f"{where}.role")
    content = item.get("content")
    if content is None and role == "assistant":
        content = ""  # an assistant turn that only called tools
    return ChatMessage(ROLES[role], content_text(content, f"{where}.content"))


def content_text(content: Any, where: str) -> str:
    """Text, or a list of text parts (joined by lines); images and audio are refused."""
    if isinstance(content, str):
        return encodable(content, where)
    if not isinstance(content, list):
        raise InvalidRequest(f"'{where}' must be a string or a list of text parts, not "
                             f"{json_type(content)}.", "invalid_type", where)
    texts = []
    for index, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") != "text":
            raise InvalidRequest(f"'{where}[{index}]' is not a text part; this server reads text only.",
                                 "unsupported_value", where)
        text = part.get("text")
        if not isinstance(text, str):
            raise InvalidRequest(f"'{where}[{index}].text' must be a string.", "invalid_type", where)
        texts.append(encodable(text, where))
    return "\n".join(texts)


def prompt_text(value: Any) -> str:
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]
    if value is None:
        raise InvalidRequest("'prompt' is required.", "missing_required_parameter", "prompt")
    if not isinstance(value, str):
        raise InvalidRequest("'prompt' must be one string (token lists and several prompts are not "
                             "supported).", "invalid_type", "prompt")
    return encodable(value, "prompt")


def sampling(fields: dict[str, Any]) -> Sampling:
    limit_name = "max_completion_tokens" if fields.get("max_completion_tokens") is not None else "max_tokens"
    return Sampling(
        max_tokens=integer(fields, limit_name, 1, MAX_TOKENS_LIMIT),
        temperature=number(fields, "temperature", 0.0, 2.0),
        top_p=number(fields, "top_p", 0.0, 1.0),
        seed=integer(fields, "seed", -SEED_LIMIT, SEED_LIMIT - 1),
        presence_penalty=number(fields, "presence_penalty", -2.0, 2.0),
        frequency_penalty=number(fields, "frequency_penalty", -2.0, 2.0),
        stop=stops(fields.get("stop")),
    )


def integer(fields: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if not is_int(value):
        raise InvalidRequest(f"'{name}' must be a whole number, not {json_type(value)}.", "invalid_type",
                             name)
    if not low <= value <= high:
        raise InvalidRequest(f"'{name}' must be between {low} and {high}; got {short(value)}.",
                             "invalid_value", name)
    return value


def number(fields: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"'{name}' must be a number, not {json_type(value)}.", "invalid_type", name)
    if not low <= value <= high:  # also false for an infinite value
        raise InvalidRequest(f"'{name}' must be between {low:g} and {high:g}; got {short(value)}.",
                             "invalid_value", name)
    return float(value)


def stops(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    found = [value] if isinstance(value, str) else value
    if not isinstance(found, list) or not all(isinstance(stop, str) for stop in found):
        raise InvalidRequest("'stop' must be a string or a list of strings.", "invalid_type", "stop")
    if len(found) > MAX_STOPS:
        raise InvalidRequest(f"'stop' holds {len(found)} sequences; at most {MAX_STOPS} are allowed.",
                             "invalid_value", "stop")
    if any(len(stop) > MAX_STOP_CHARS for stop in found):
        raise InvalidRequest(f"Each 'stop' sequence may be at most {MAX_STOP_CHARS} characters.",
                             "invalid_value", "stop")
    return tuple(encodable(stop, "stop") for stop in found if stop)


def encodable(text: str, where: str) -> str:
    """`text`, if it can be written as UTF-8: JSON may carry a lone surrogate ("\\ud800"), which
    the tokenizer could not encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidRequest(f"'{where}' holds an unpaired UTF-16 surrogate, which is not text.",
                             "invalid_value", where) from error
    return text


def flag(fields: dict[str, Any], name: str) -> bool:
    value = fields.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidRequest(f"'{name}' must be true or false, not {json_type(value)}.", "invalid_type", name)
    return value


def include_usage(fields: dict[str, Any]) -> bool:
    options = fields.get("stream_options")
    if options is None:
        return False
    if not isinstance(options, dict):
        raise InvalidRequest("'stream_options' must be an object.", "invalid_type", "stream_options")
    return flag(options, "include_usage")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def short(value: Any) -> str:
    """A value as the client sent it, cut short: error messages must stay small whatever came in."""
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str | int | bool) or value is None:
        text = json.dumps(value)  # ASCII: a lone surrogate is written as its escape
    else:
        return json_type(value)
    return text if len(text) <= 40 else text[:39] + "…"


def first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:200]
