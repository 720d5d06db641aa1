"""The OpenAI API as one Starlette app: `/v1/models`, `/v1/chat/completions` and `/v1/completions`,
whole or streamed as server-sent events (`data: {json}` chunks, then `data: [DONE]`).

Every error a client can cause is an OpenAI error body with a 4xx status; anything else is logged
with its traceback and answered with a one-line 500, never the traceback. However a reply ends (done,
client gone, server stopping), its generation is cancelled, so a client that hangs up frees the
model thread for the next request within a token or two.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from engine.errors import EngineError
from engine.generation import GenerationResult
from engine.model_host import ReplyStream
from engine.openai_api.errors import ApiError, BodyTooLarge, ServerFault, UnknownModel
from engine.openai_api.guards import ApiKeyCheck, BrowserGuard, error_response
from engine.openai_api.replies import (
    ReplyHeader,
    chat_chunk,
    chat_completion,
    finish_reason,
    model_entry,
    model_list,
    sse_event,
    text_chunk,
    text_completion,
    usage_chunk,
)
from engine.openai_api.requests import parse_chat_request, parse_completion_request
from engine.openai_api.served_model import ServedModel

MAX_BODY_BYTES = 4 * 2**20  # a 32K-token prompt is some 130 KB of text; JSON escapes may grow it 6×
DISCONNECT_POLL_S = 0.1
ROUTE_CODES = {404: "not_found", 405: "method_not_allowed"}

logger = logging.getLogger(__name__)


def create_app(served: ServedModel, api_key: str | None = None, loopback_only: bool = True) -> Starlette:
    """The API over `served`; with `api_key`, every request must carry it as a Bearer token.
    `loopback_only`: the server listens on loopback, so a request for another host name is a web
    page's (see guards)."""
    routes = ApiRoutes(served)
    guards = [Middleware(BrowserGuard, loopback_only=loopback_only)]
    if api_key:
        guards.append(Middleware(ApiKeyCheck, key=api_key))
    return Starlette(
        routes=[
            Route("/v1/models", routes.list_models, methods=["GET"]),
            Route("/v1/models/{name:path}", routes.get_model, methods=["GET"]),
            Route("/v1/chat/completions", routes.chat_completions, methods=["POST"]),
            Route("/v1/completions", routes.completions, methods=["POST"]),
        ],
        middleware=guards,
        exception_handlers={ApiError: api_error, HTTPException: route_error, EngineError: engine_error,
                            Exception: server_error},
    )


class ApiRoutes:
    def __init__(self, served: ServedModel) -> None:
        self.served = served

    def entry(self) -> dict[str, Any]:
        return model_entry(self.served.name, self.served.created, self.served.n_ctx)

    async def list_models(self, _request: Request) -> Response:
        return JSONResponse(model_list([self.entry()]))

    async def get_model(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.served.aliases:
            raise UnknownModel(name, self.served.name)
        return JSONResponse(self.entry())

    async def chat_completions(self, request: Request) -> Response:
        parsed = parse_chat_request(await read_body(request))
        reply = await anyio.to_thread.run_sync(self.served.start_chat, parsed)
        header = ReplyHeader.new("chatcmpl", self.served.name)
        if parsed.stream:
            return ReplyEvents(chat_events(reply, header, parsed.include_usage), reply)
        text, result = await finished(request, reply)
        log_reply(header, result)
        return JSONResponse(chat_completion(header, text, result))

    async def completions(self, request: Request) -> Response:
        parsed = parse_completion_request(await read_body(request))
        reply = await anyio.to_thread.run_sync(self.served.start_completion, parsed)
        header = ReplyHeader.new("cmpl", self.served.name)
        echoed = parsed.prompt if parsed.echo else ""
        if parsed.stream:
            return ReplyEvents(text_events(reply, header, parsed.include_usage, echoed), reply)
        text, result = await finished(request, reply)
        log_reply(header, result)
        return JSONResponse(text_completion(header, echoed + text, result))


async def read_body(request: Request) -> bytes:
    """The body, refused with a 413 as soon as it passes MAX_BODY_BYTES (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge(MAX_BODY_BYTES)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(MAX_BODY_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


class ReplyEvents(StreamingResponse):
    """A reply as server-sent events; the reply is cancelled however the response ends."""

    def __init__(self, events: AsyncIterator[bytes], reply: ReplyStream) -> None:
        super().__init__(events, media_type="text/event-stream",
                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.reply = reply

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.reply.cancel()  # a finished reply ignores it


async def pieces_of(reply: ReplyStream) -> AsyncIterator[str]:
    """The reply's text pieces, each awaited off the event loop. A response cancelled while
    waiting abandons the waiting thread at once; the cancel that follows ends it."""
    pieces = iter(reply)
    while (piece := await anyio.to_thread.run_sync(next, pieces, None, abandon_on_cancel=True)) is not None:
        yield piece


async def chat_events(reply: ReplyStream, header: ReplyHeader, include_usage: bool) -> AsyncIterator[bytes]:
    yield sse_event(chat_chunk(header, {"role": "assistant", "content": ""}))
    async for event in reply_events(reply, header, include_usage, "chat.completion.chunk",
                                    lambda text: chat_chunk(header, {"content": text}),
                                    lambda finish: chat_chunk(header, {}, finish)):
        yield event


async def text_events(reply: ReplyStream, header: ReplyHeader, include_usage: bool,
                      echoed: str) -> AsyncIterator[bytes]:
    if echoed:
        yield sse_event(text_chunk(header, echoed))
    async for event in reply_events(reply, header, include_usage, "text_completion",
                                    lambda text: text_chunk(header, text),
                                    lambda finish: text_chunk(header, "", finish)):
        yield event


async def reply_events(reply: ReplyStream, header: ReplyHeader, include_usage: bool, kind: str,
                       piece: Callable[[str], dict[str, Any]],
                       last: Callable[[str], dict[str, Any]]) -> AsyncIterator[bytes]:
    """A chunk per piece, then one with the finish reason, the usage if asked, and [DONE]. A
    failure midway can no longer change the status (200 is sent): it is an error event instead."""
    try:
        async for text in pieces_of(reply):
            yield sse_event(piece(text))
    except Exception as error:
        yield sse_event(fault_of(error).body())
        return
    result = reply.result
    assert result is not None
    log_reply(header, result)
    yield sse_event(last(finish_reason(result)))
    if include_usage:
        yield sse_event(usage_chunk(header, kind, result))
    yield sse_event("[DONE]")


async def finished(request: Request, reply: ReplyStream) -> tuple[str, GenerationResult]:
    """Wait for a whole reply; a client that hangs up meanwhile cancels it."""
    outcome: list[GenerationResult | Exception] = []

    def wait() -> None:
        try:
            outcome.append(reply.wait())
        except Exception as error:  # raised below, outside the task group that would wrap it
            outcome.append(error)

    async def cancel_when_gone() -> None:
        while not await request.is_disconnected():
            await anyio.sleep(DISCONNECT_POLL_S)
        reply.cancel()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(cancel_when_gone)
            await anyio.to_thread.run_sync(wait, abandon_on_cancel=True)
            group.cancel_scope.cancel()
    finally:
        reply.cancel()
    if isinstance(outcome[0], Exception):
        raise fault_of(outcome[0])
    return outcome[0].text, outcome[0]


def log_reply(header: ReplyHeader, result: GenerationResult) -> None:
    """Its figures, never its text: as for the app's own answers, the log holds no prompts or replies."""
    logger.info("API reply %s: %d prompt tokens (%d cached), %d written, %s", header.id,
                result.prompt_tokens, result.cached_tokens, result.completion_tokens, result.finish_reason)


def fault_of(error: Exception) -> ApiError:
    """What a client is told when generation itself failed: the error's own message when it is an
    expected one (a typed EngineError), else that the server's log holds the details."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, EngineError):
        logger.warning("answering a request failed: %s", error)
        return ServerFault(str(error))
    logger.error("answering a request failed", exc_info=error)
    return ServerFault("The model failed while answering; the server's log has the details.")


async def api_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error_response(error)


async def engine_error(_request: Request, error: Exception) -> Response:
    """An engine failure the engine explains itself (no model loaded, say): its own message."""
    return error_response(fault_of(error))


async def route_error(_request: Request, error: Exception) -> Response:
    """Starlette's own 404 and 405, in OpenAI's shape."""
    assert isinstance(error, HTTPException)
    code = ROUTE_CODES.get(error.status_code, "invalid_request")
    message = f"{error.detail}: this server answers /v1/models, /v1/chat/completions and /v1/completions."
    return error_response(ApiError(error.status_code, message, code), dict(error.headers or {}))


async def server_error(_request: Request, error: Exception) -> Response:
    """A bug: logged with its traceback (Starlette passes it on to the server's log too); the client
    reads one line."""
    logger.error("unexpected error answering a request", exc_info=error)
    return error_response(ServerFault("Something unexpected went wrong on the server; its log has the "
                                      "details."))

