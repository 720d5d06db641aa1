"""A tiny real HTTP server on 127.0.0.1 that lists one model the way an OpenAI-compatible server
does, and then answers a chat the ways a broken or hostile one might: never (a socket that accepts
and stays silent), with an HTML page, with a stream cut off in the middle, with events that are not
JSON or not the right shape, or with 401 and 500. It records the headers it was sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

from desktop.benchmarks.model_server import HTML_PAGE, QuietServer

MODEL = "tiny-model"
MODELS = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode()


def chunk(text: str, finish: str | None = None) -> bytes:
    event = {"object": "chat.completion.chunk",
             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return b"data: " + json.dumps(event).encode() + b"\n\n"


class MisbehavingServer:
    """`behaviour` decides how the chat (and, for some, the model list) is answered."""

    def __init__(self, behaviour: str = "fine") -> None:
        self.behaviour = behaviour
        self.release = threading.Event()  # lets silent answers go at the end
        self.hung_up = threading.Event()  # the client closed a stream while it was being written
        self.headers: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.headers.append(dict(self.headers))
                server.answer_get(self)

            def do_POST(self) -> None:
                server.headers.append(dict(self.headers))
                length = int(self.headers.get("Content-Length") or 0)
                server.bodies.append(self.rfile.read(length))
                server.answer_post(self)

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="misbehaving-server",
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer_get(self, handler: BaseHTTPRequestHandler) -> None:
        if self.behaviour == "silent-everywhere":
            self.release.wait(30)
            return
        if self.behaviour == "html":
            send(handler, 200, "text/html; charset=utf-8", HTML_PAGE)
        elif self.behaviour == "401":
            send(handler, 401, "application/json", b'{"error": {"message": "Invalid API key"}}')
        elif handler.path == "/v1/models":
            send(handler, 200, "application/json", MODELS)
        else:
            send(handler, 404, "application/json", b'{"detail": "Not Found"}')

    def answer_post(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path != "/v1/chat/completions":
            send(handler, 404, "application/json", b'{"detail": "Not Found"}')
            return
        behaviour = self.behaviour
        if behaviour == "silent":
            self.release.wait(30)
            return
        if behaviour == "strict" and b"top_k" in self.bodies[-1]:  # as OpenAI's own API does
            send(handler, 400, "application/json",
                 b'{"error": {"message": "Unrecognized request argument supplied: top_k"}}')
            return
        if behaviour == "strict-and-too-long":
            send(handler, 400, "application/json",
                 b'{"error": {"message": "This model\'s maximum context length is 2048 tokens"}}')
            return
        if behaviour == "500":
            send(handler, 500, "application/json",
                 b'{"error": {"message": "CUDA out of memory", "type": "server_error"}}')
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        events = {
            "fine": [chunk("Hello"), chunk(" there."), chunk("", "stop"), b"data: [DONE]\n\n"],
            "strict": [chunk("Hello"), chunk(" there."), chunk("", "stop"), b"data: [DONE]\n\n"],
            "cut": [chunk("Hello"), chunk(" the")],  # then the connection closes
            "not-json": [chunk("Hello"), b"data: {'choices': oops\n\n"],
            "wrong-shape": [chunk("Hello"), b'data: {"answer": "forty-two"}\n\n'],
            "stalls": [chunk("Hello")],  # then silence, the connection open
            "endless": [chunk(" word")] * 2000,
        }[behaviour]
        try:
            for event in events:
                handler.wfile.write(event)
                handler.wfile.flush()
                if behaviour == "endless":
                    self.release.wait(0.01)
        except (BrokenPipeError, ConnectionResetError):
            self.hung_up.set()
            return
        if behaviour == "stalls":
            self.release.wait(30)
        handler.close_connection = True


def send(handler: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
