"""Writing an answer through a remote engine, with `engine.generation.generate`'s signature, so the
model host, the session and deliberate mode use it as they use the local one.

The request streams (server-sent events); each piece goes to `on_text` as it arrives, through the
same stop-string filter as a local answer. A cancel closes the connection at once (a watcher shuts
the socket down while the read waits), and llama.cpp, vLLM and Ollama stop generating when their
client goes. Figures: time to first token and speed are measured here; token counts are the
server's `usage` (or llama.cpp's `timings`) where it sends them, else the prompt's own count and
one token per streamed piece (llama.cpp's servers send one token a piece)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.generation import GenerationOptions, GenerationResult, StopStringFilter, runaway_repetition
from engine.remote.client import EngineStream
from engine.remote.errors import EngineAnswerInvalid, EngineConnectionLost, EngineRequestFailed
from engine.remote.remote_model import COMPLETIONS, RemoteModel, RemotePrompt
from engine.remote.server_events import StreamEnd

OPENAI_MAX_STOPS = 4  # OpenAI's limit, which some servers enforce; the rest are applied here
FINISH = {"stop": "stop", "length": "length", "eos": "stop"}
WATCH_S = 0.05  # how often the cancel watcher looks (the model host polls at the same pace)


def request_body(model: RemoteModel, prompt: RemotePrompt, options: GenerationOptions,
                 stops: Sequence[str], max_tokens: int) -> dict[str, Any]:
    """OpenAI's fields, and llama.cpp's own where they mean what our options mean (other servers
    ignore fields they do not know; vLLM reads top_k and min_p too)."""
    body: dict[str, Any] = {
        "model": model.name, "stream": True, "max_tokens": max_tokens,
        "temperature": options.temperature, "top_p": options.top_p,
        "presence_penalty": options.presence_penalty,
        "frequency_penalty": options.frequency_penalty,
        "stream_options": {"include_usage": True},
    }
    if model.extras:
        body |= {"top_k": options.top_k, "min_p": options.min_p,
                 "repeat_penalty": options.repeat_penalty,
                 "cache_prompt": True}  # llama.cpp: reuse the longest cached prefix (its default)
    if options.seed is not None:
        body["seed"] = options.seed & 0xFFFFFFFF
    kept = [s for s in stops if s][:OPENAI_MAX_STOPS]
    if kept:
        body["stop"] = kept
    if model.sends == COMPLETIONS:
        body["prompt"] = list(prompt)  # the exact tokens the packer measured
    else:
        body["messages"] = [{"role": m.role, "content": m.content} for m in prompt.messages]
    return body


@dataclass
class StreamFigures:
    """What the server said about the answer's tokens, from whichever chunk carried it."""

    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    completion_tokens: int | None = None
    finish: str | None = None

    def read(self, event: dict[str, Any]) -> None:
        usage = event.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = as_int(usage.get("prompt_tokens"), self.prompt_tokens)
            self.completion_tokens = as_int(usage.get("completion_tokens"), self.completion_tokens)
            details = usage.get("prompt_tokens_details")
            if isinstance(details, dict):
                self.cached_tokens = as_int(details.get("cached_tokens"), self.cached_tokens)
        timings = event.get("timings")  # llama.cpp's server
        if isinstance(timings, dict):
            self.cached_tokens = as_int(timings.get("cache_n"), self.cached_tokens)
            self.completion_tokens = as_int(timings.get("predicted_n"), self.completion_tokens)


def as_int(value: Any, otherwise: int | None) -> int | None:
    return value if isinstance(value, int) and value >= 0 else otherwise


def event_text(event: dict[str, Any], url: str) -> tuple[str, str | None]:
    """The text a chunk adds (a reasoning model's thinking wrapped in its tags, as a local model
    writes it) and its finish reason, or EngineAnswerInvalid for a chunk of the wrong shape."""
    if "error" in event:
        error = event["error"]
        said = error.get("message", "") if isinstance(error, dict) else str(error)
        raise EngineRequestFailed(url, error.get("code", 500) if isinstance(error, dict) and
                                  isinstance(error.get("code"), int) else 500, " ".join(said.split())[:300])
    choices = event.get("choices")
    if not isinstance(choices, list):
        raise EngineAnswerInvalid(url, "a streamed chunk had no list of choices")
    if not choices:
        return "", None  # the usage chunk
    choice = choices[0]
    if not isinstance(choice, dict):
        raise EngineAnswerInvalid(url, "a streamed choice was not an object")
    delta = choice.get("delta", choice.get("message"))
    text = choice.get("text") if delta is None else None
    if isinstance(delta, dict):
        thought, said = delta.get("reasoning_content") or "", delta.get("content") or ""
        if not isinstance(thought, str) or not isinstance(said, str):
            raise EngineAnswerInvalid(url, "a streamed chunk's content was not text")
        text = (f"<think>{thought}</think>" if thought else "") + said
    if not isinstance(text, str):
        raise EngineAnswerInvalid(url, "a streamed chunk held no text")
    finish = choice.get("finish_reason")
    return text, finish if isinstance(finish, str) else None


def close_when_cancelled(stream: EngineStream, cancel: threading.Event) -> threading.Thread:
    """A watcher that closes the stream as soon as `cancel` is set, or leaves once it is closed."""

    def watch() -> None:
        while not stream.closed.is_set():
            if cancel.wait(WATCH_S):
                stream.close()
                return

    watcher = threading.Thread(target=watch, name="longwit-engine-cancel", daemon=True)
    watcher.start()
    return watcher


def open_stream(model: RemoteModel, path: str, body: Callable[[], dict[str, Any]],
                cancel: threading.Event) -> tuple[EngineStream, threading.Thread]:
    """The answer's stream, sent, with its cancel watcher. A server that refuses llama.cpp's own
    fields (OpenAI's API answers 400 to `top_k`) is asked once more without them, and from then on
    never sent them; a 400 for another reason comes back the same and is said."""
    while True:
        stream = model.client.stream(path, body())
        watcher = close_when_cancelled(stream, cancel)
        try:
            return stream.open(), watcher
        except BaseException as error:
            stream.close()
            watcher.join()
            if not (isinstance(error, EngineRequestFailed) and error.status == 400 and model.extras):
                raise
            model.extras = False


def remote_generate(
    model: RemoteModel,
    prompt_tokens: Sequence[int],
    options: GenerationOptions,
    cancel: threading.Event,
    on_text: Callable[[str], None],
    stops: Sequence[str] = (),
    started_at: float | None = None,
    already_read: int = 0,
    held_s: Callable[[], float] = lambda: 0.0,
) -> GenerationResult:
    """Stream an answer to `prompt_tokens` (a RemotePrompt) from the engine; see `generate`."""
    if not isinstance(prompt_tokens, RemotePrompt):
        raise TypeError("a remote engine is sent a RemotePrompt (RemoteModel.prompt_tokens)")
    started = started_at or time.perf_counter()
    limit = max(0, min(options.max_tokens, model.n_ctx - len(prompt_tokens)))
    if cancel.is_set() or limit == 0:
        return GenerationResult("", "cancelled" if cancel.is_set() else "length",
                                len(prompt_tokens), 0, 0, None, None, time.perf_counter() - started)
    path = "/v1/completions" if model.sends == COMPLETIONS else "/v1/chat/completions"
    stream, watcher = open_stream(
        model, path, lambda: request_body(model, prompt_tokens, options, stops, limit), cancel)
    stop_filter = StopStringFilter(stops)
    figures, pieces, written = StreamFigures(), [], []
    first_at, finish, ended_by_server = None, "length", False
    try:
        for event in stream:
            if isinstance(event, StreamEnd):
                ended_by_server = True
                break
            figures.read(event)
            text, reason = event_text(event, model.url)
            figures.finish = reason or figures.finish
            if text:
                first_at = first_at or time.perf_counter()
                written.append(text)
                shown = stop_filter.feed(text)
                if shown:
                    pieces.append(shown)
                    on_text(shown)
            if stop_filter.stopped:
                finish = "stop"
                break
            if options.repetition_tokens and runaway_repetition(written, options.repetition_tokens):
                finish = "repetition"
                break
    finally:
        stream.close()
        watcher.join()
    if cancel.is_set():
        finish = "cancelled"
    elif finish == "length" and (ended_by_server or figures.finish):
        finish = FINISH.get(figures.finish or "stop", "stop")
    elif finish == "length":
        raise EngineConnectionLost(model.url)  # the stream ended with no end of answer
    tail = stop_filter.flush()
    if tail and finish != "cancelled":
        pieces.append(tail)
        on_text(tail)
    ended = time.perf_counter()
    count = figures.completion_tokens if figures.completion_tokens is not None else len(written)
    generating_s = ended - first_at - held_s() if first_at else 0.0
    return GenerationResult(
        text="".join(pieces),
        finish_reason=finish,
        prompt_tokens=figures.prompt_tokens or len(prompt_tokens),
        cached_tokens=max(0, (figures.cached_tokens or 0) - already_read),
        completion_tokens=count,
        ttft_s=(first_at - started) if first_at else None,
        tokens_per_s=(count - 1) / generating_s if count > 1 and generating_s > 0 else None,
        duration_s=ended - started,
    )
