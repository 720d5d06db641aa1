"""What can go wrong with a remote engine, each as one line that names the server and what to check.
No message ever holds the API key (the client removes it from anything the server says)."""

from __future__ import annotations

from engine.errors import EngineError

KEY_HELP = "set LONGWIT_ENGINE_API_KEY (or OPENAI_API_KEY) to the server's key"


class RemoteEngineError(EngineError):
    """The remote engine could not be reached, refused, or answered something unusable."""


class EngineAddressInvalid(RemoteEngineError):
    def __init__(self, shown: str, reason: str) -> None:
        super().__init__(f"Cannot use {shown} as an engine: {reason}.")


class EngineUnreachable(RemoteEngineError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"Could not reach the engine at {url} ({reason}); check that the server is running "
            "and that the address and port are right."
        )


class EngineTimedOut(RemoteEngineError):
    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(
            f"The engine at {url} sent nothing for {seconds:g} s; it may be busy or stuck, or "
            "still reading a long prompt: try again, or allow longer (--engine-timeout, or the wait "
            "in the model picker's Server tab)."
        )


class EngineConnectionLost(RemoteEngineError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"The engine at {url} closed the connection in the middle of the answer; the "
            "question is saved, ask again once the server is back."
        )


class EngineAnswerInvalid(RemoteEngineError):
    def __init__(self, url: str, what: str) -> None:
        super().__init__(
            f"The engine at {url} did not answer as an OpenAI-compatible server ({what}); check "
            "the address: give the server's root or its /v1."
        )


class EngineKeyRefused(RemoteEngineError):
    def __init__(self, url: str, status: int, had_key: bool) -> None:
        which = "wrong (the server refused it)" if had_key else "missing"
        super().__init__(f"The engine at {url} answered HTTP {status}: its API key is {which}; "
                         f"{KEY_HELP}.")


class EngineRequestFailed(RemoteEngineError):
    def __init__(self, url: str, status: int, message: str) -> None:
        said = f": {message}" if message else ""
        super().__init__(f"The engine at {url} answered HTTP {status}{said}.")
        self.status = status


class EngineModelUnknown(RemoteEngineError):
    def __init__(self, url: str, model: str, served: list[str]) -> None:
        names = ", ".join(served[:8]) + (", …" if len(served) > 8 else "")
        super().__init__(
            f"The engine at {url} does not serve a model called {model!r}; it serves {names} "
            f"(`longwit models --engine {url}`)."
        )


class EngineModelAmbiguous(RemoteEngineError):
    def __init__(self, url: str, served: list[str]) -> None:
        names = ", ".join(served[:8]) + (", …" if len(served) > 8 else "")
        super().__init__(
            f"The engine at {url} serves {len(served)} models ({names}); choose one (--model, or "
            "the list in the model picker's Server tab)."
        )
