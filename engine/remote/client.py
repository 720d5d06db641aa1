"""HTTP to a remote engine (httpx2): JSON requests and streamed server-sent events, each failure
turned into one RemoteEngineError line. Separate connect and read timeouts: a server that is down
is said within seconds, one that accepts and then sends nothing within `read_s`. Closing a stream
shuts its socket down at once, from any thread, so a cancel stops waiting for the server's next
byte and the server, seeing the connection gone, stops generating."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2

from engine.remote.api_key import ApiKey
from engine.remote.errors import (
    EngineAddressInvalid,
    EngineAnswerInvalid,
    EngineConnectionLost,
    EngineKeyRefused,
    EngineRequestFailed,
    EngineTimedOut,
    EngineUnreachable,
)
from engine.remote.server_events import MalformedEvent, StreamEnd, events, sample

# An endpoint this kind of server does not have, or not with this body (a probe for another kind's).
MISSING = (400, 404, 405, 422, 501)


@dataclass(frozen=True)
class EngineTimeouts:
    connect_s: float = 5.0
    # The longest wait for the server's next byte, the first one included: a server reading a long
    # document before its first token may well take a minute on a CPU.
    read_s: float = 120.0


def engine_root(url: str) -> str:
    """The server's root from what a person types: `host:8080`, `http://host:8080`, or the API
    base `http://host:8080/v1` as other tools take it. Credentials in it are refused, not sent."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 — raises ValueError for a port that is not a number
    except ValueError as error:
        raise EngineAddressInvalid(repr(url), f"it is not a valid address ({error})") from error
    if parts.scheme not in ("http", "https"):
        raise EngineAddressInvalid(repr(url), "only http:// and https:// servers can be used")
    if parts.username is not None or parts.password is not None:
        shown = urlunsplit((parts.scheme, parts.hostname or "", "", "", ""))
        raise EngineAddressInvalid(shown, "the address holds a user name or password; give the "
                                          "address without it and the key in LONGWIT_ENGINE_API_KEY")
    if not parts.hostname:
        raise EngineAddressInvalid(repr(url), "it names no server")
    path = parts.path.rstrip("/")
    path = path[: -len("/v1")] if path.endswith("/v1") else path
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class EngineStream:
    """One streamed answer: `open()` sends the request, iterating yields its events, and `close()`
    (from any thread) ends it at once, even while the server has not yet sent its headers (a
    llama.cpp server reading a long prompt sends nothing until the first token): the socket is
    caught as it connects (httpx's trace hook) and shut down."""

    def __init__(self, client: EngineClient, path: str, body: dict[str, Any]) -> None:
        self.client, self.path, self.body = client, path, body
        self.response: httpx2.Response | None = None
        self.closed = threading.Event()
        self._socket: socket.socket | None = None

    def trace(self, name: str, info: dict[str, Any]) -> None:
        if name == "connection.connect_tcp.complete":
            self._socket = info["return_value"].get_extra_info("socket")
            if self.closed.is_set():
                self.close_socket()

    def close(self) -> None:
        self.closed.set()
        self.close_socket()

    def close_socket(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):  # already closed by the server
                self._socket.shutdown(socket.SHUT_RDWR)

    def open(self) -> EngineStream:
        """Send the request; a failure is its RemoteEngineError, unless the stream was closed."""
        try:
            self.response = self.client.send_streamed(self.path, self.body, self.trace)
            if self.response.status_code >= 300:
                try:
                    self.response.read()
                finally:
                    self.response.close()
                self.client.checked(self.response, self.path)
        except httpx2.TransportError as error:
            self.response = None
            if not self.closed.is_set():
                raise self.client.transport_error(error) from None
        return self

    def __iter__(self) -> Iterator[dict[str, Any] | StreamEnd]:
        response = self.response
        if response is None:
            return  # closed before the server answered: a cancel
        try:
            if "json" in response.headers.get("content-type", ""):
                yield self.client.json_of(response.read())  # a server that would not stream
                yield StreamEnd()
                return
            yield from events(response.iter_lines())
        except MalformedEvent as error:
            raise EngineAnswerInvalid(self.client.url, f"its stream held {error}") from None
        except httpx2.TransportError as error:
            if self.closed.is_set():
                return  # we closed it: a cancel, not a failure
            raise self.client.transport_error(error) from None
        finally:
            self.close()
            response.close()


class EngineClient:
    """Requests to one server; thread-safe as httpx2's client is."""

    def __init__(self, url: str, api_key: ApiKey | None = None,
                 timeouts: EngineTimeouts | None = None) -> None:
        self.url = engine_root(url)
        self.api_key = api_key
        self.timeouts = timeouts or EngineTimeouts()
        headers = {"Accept": "application/json"}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key.value}"
        timeout = httpx2.Timeout(self.timeouts.read_s, connect=self.timeouts.connect_s)
        self._http = httpx2.Client(base_url=self.url, headers=headers, follow_redirects=False,
                                   timeout=timeout)
        # Answers stream on a connection of their own each, never one kept alive from before, so
        # that its socket is seen connecting and can be shut down to cancel (EngineStream).
        self._streams = httpx2.Client(base_url=self.url, headers=headers, follow_redirects=False,
                                      timeout=timeout,
                                      limits=httpx2.Limits(max_keepalive_connections=0))

    def close(self) -> None:
        self._http.close()
        self._streams.close()

    def get(self, path: str) -> Any:
        return self.json_of(self.checked(self.send("GET", path), path).content)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.json_of(self.checked(self.send("POST", path, body), path).content)

    def optional(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any | None:
        """The JSON answer, or None where this kind of server has no such endpoint (or answers it
        with something other than JSON: an HTML page from a web UI on the same port)."""
        response = self.send(method, path, body)
        if response.status_code in MISSING:
            return None
        try:
            return json.loads(self.checked(response, path).content)
        except ValueError:
            return None

    def stream(self, path: str, body: dict[str, Any]) -> EngineStream:
        """A streamed request, not yet sent: hand it to whatever may close it, then `open()` it."""
        return EngineStream(self, path, body)

    def send_streamed(self, path: str, body: dict[str, Any],
                      trace: Callable[[str, dict[str, Any]], None]) -> httpx2.Response:
        request = self._streams.build_request("POST", path, json=body, extensions={"trace": trace},
                                              headers={"Accept": "text/event-stream"})
        return self._streams.send(request, stream=True)

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx2.Response:
        try:
            return self._http.request(method, path, json=body)
        except httpx2.TransportError as error:
            raise self.transport_error(error) from None

    def transport_error(self, error: httpx2.TransportError) -> Exception:
        if isinstance(error, httpx2.ConnectTimeout):
            return EngineUnreachable(self.url, f"no answer to connect within "
                                               f"{self.timeouts.connect_s:g} s")
        if isinstance(error, httpx2.TimeoutException):
            return EngineTimedOut(self.url, self.timeouts.read_s)
        if isinstance(error, httpx2.ConnectError):
            return EngineUnreachable(self.url, self.without_key(str(error)) or "connection refused")
        if isinstance(error, httpx2.RemoteProtocolError | httpx2.ReadError):
            return EngineConnectionLost(self.url)
        return EngineUnreachable(self.url, type(error).__name__)

    def checked(self, response: httpx2.Response, path: str) -> httpx2.Response:
        """The response if it succeeded, else the error it stands for."""
        status = response.status_code
        if status in (401, 403):
            raise EngineKeyRefused(self.url, status, self.api_key is not None)
        if 300 <= status < 400:
            where = response.headers.get("location", "elsewhere")
            raise EngineAnswerInvalid(self.url, f"{path} redirected to {self.without_key(where)}")
        if status >= 400:
            raise EngineRequestFailed(self.url, status, self.error_message(response))
        return response

    def error_message(self, response: httpx2.Response) -> str:
        """What the server said went wrong, from OpenAI's error body or FastAPI's, as one line."""
        text = response.content.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            return "" if "<html" in text[:200].lower() else self.without_key(sample(text, 160))
        said = body.get("error", body.get("detail", "")) if isinstance(body, dict) else ""
        if isinstance(said, dict):
            said = said.get("message", "")
        flat = " ".join(str(said).split())
        return self.without_key(flat[:300])

    def json_of(self, content: bytes) -> Any:
        try:
            return json.loads(content)
        except ValueError:
            text = content.decode("utf-8", errors="replace")
            raise EngineAnswerInvalid(
                self.url, f"its answer was not JSON but {self.without_key(sample(text))}") from None

    def without_key(self, text: str) -> str:
        """`text` with the API key blanked out, should a server ever echo it back."""
        if self.api_key is not None and self.api_key.value:
            return text.replace(self.api_key.value, "***")
        return text
