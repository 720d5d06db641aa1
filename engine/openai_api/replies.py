"""The JSON shapes of OpenAI's replies: whole completions, streamed chunks and the model list.

Pure dictionaries built from what generation reports, so the shapes are checked without a server.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from engine.generation import GenerationResult

# Longwit's finish reasons in OpenAI's words: a reply cut because it began to loop ended early, as
# at the token limit, not where the model meant to stop.
FINISH_REASONS = {"stop": "stop", "length": "length", "repetition": "length", "cancelled": "stop"}


@dataclass(frozen=True)
class ReplyHeader:
    """What every chunk and body of one reply repeats."""

    id: str
    created: int
    model: str

    @classmethod
    def new(cls, prefix: str, model: str) -> ReplyHeader:
        return cls(f"{prefix}-{uuid.uuid4().hex}", int(time.time()), model)

    def fields(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}


def finish_reason(result: GenerationResult) -> str:
    return FINISH_REASONS.get(result.finish_reason, "stop")


def usage(result: GenerationResult) -> dict[str, Any]:
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "total_tokens": result.prompt_tokens + result.completion_tokens,
        # The part of the prompt the KV cache already held (read again for nothing).
        "prompt_tokens_details": {"cached_tokens": result.cached_tokens},
    }


def chat_completion(header: ReplyHeader, text: str, result: GenerationResult) -> dict[str, Any]:
    return {
        **header.fields("chat.completion"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "logprobs": None, "finish_reason": finish_reason(result)}],
        "usage": usage(result),
    }


def chat_chunk(header: ReplyHeader, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        **header.fields("chat.completion.chunk"),
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def text_completion(header: ReplyHeader, text: str, result: GenerationResult) -> dict[str, Any]:
    return {
        **header.fields("text_completion"),
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason(result)}],
        "usage": usage(result),
    }


def text_chunk(header: ReplyHeader, text: str, finish: str | None = None) -> dict[str, Any]:
    return {
        **header.fields("text_completion"),
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}],
    }


def usage_chunk(header: ReplyHeader, kind: str, result: GenerationResult) -> dict[str, Any]:
    """The last chunk of a stream whose request set stream_options.include_usage: no choices."""
    return {**header.fields(kind), "choices": [], "usage": usage(result)}


def model_entry(name: str, created: int, n_ctx: int) -> dict[str, Any]:
    return {
        "id": name,
        "object": "model",
        "created": created,
        "owned_by": "longwit",
        "context_length": n_ctx,
        # One model thread answers every request in turn: the others wait, they are not refused.
        "max_concurrent_requests": 1,
    }


def model_list(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": entries}


def sse_event(payload: dict[str, Any] | str) -> bytes:
    """One server-sent event: `data: {json}` and a blank line (or the literal `data: [DONE]`)."""
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False,
                                                                separators=(",", ":"))
    return f"data: {data}\n\n".encode()
