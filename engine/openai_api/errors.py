"""What the API says when a request cannot be answered: an HTTP status and OpenAI's error body,
`{"error": {"message", "type", "param", "code"}}`, which OpenAI's own clients turn into typed
exceptions (BadRequestError, AuthenticationError, NotFoundError…)."""

from __future__ import annotations

from typing import Any

from engine.errors import EngineError


class ApiError(Exception):
    """A request the server refuses, with a message a client's user can act on."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.kind = kind  # OpenAI's "type"

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param,
                          "code": self.code}}


class InvalidRequest(ApiError):
    """A body that is not what the endpoint takes (400)."""

    def __init__(self, message: str, code: str = "invalid_value", param: str | None = None) -> None:
        super().__init__(400, message, code, param)


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is over {limit // 2**20} MiB; send a shorter one.",
                         "request_too_large")


class UnknownModel(ApiError):
    def __init__(self, asked: str, served: str) -> None:
        super().__init__(404, f"The model {asked!r} is not served here; this server has {served!r} "
                              "(see /v1/models).", "model_not_found", "model")


class ContextLengthExceeded(ApiError):
    def __init__(self, n_ctx: int, prompt_tokens: int) -> None:
        super().__init__(
            400,
            f"This model's context window is {n_ctx:,} tokens, and the prompt alone takes "
            f"{prompt_tokens:,}, leaving no room for an answer; shorten the messages (or start "
            "the server with a larger --ctx).",
            "context_length_exceeded", "messages",
        )


class MissingApiKey(ApiError):
    def __init__(self) -> None:
        super().__init__(401, "This server needs an API key: send it as 'Authorization: Bearer KEY' "
                              "(the key given to `longwit serve`).", "invalid_api_key")


class ServerFault(ApiError):
    """Something went wrong on the server's side; the message says what, never a traceback."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(status, message, "server_error", kind="server_error")


class CannotListen(EngineError):
    """The server could not open its address; the command line prints it as one line."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"Cannot serve on {host}:{port}: {reason}.")
