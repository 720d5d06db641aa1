"""A real HTTP server on 127.0.0.1 for downloads: it serves files with HTTP Range support, and on
request misbehaves the ways real servers do (cuts the connection mid-file, ignores Range, answers
with an HTML page, stalls), recording every request it was sent. The download tests use it, and so
does `longwit bench engines` (desktop/benchmarks/engines), which cannot import the tests."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHUNK = 64 * 1024
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Sign in to continue</h1></body></html>\n" * 40


@dataclass
class Served:
    """One path's content and behaviour."""

    content: Path | bytes
    honour_range: bool = True
    cut_after: int | None = None  # close the connection after this many body bytes …
    cuts: int = 1  # … in this many responses (then serve normally)
    stall_after: int | None = None  # stop sending after this many body bytes until released
    html: bool = False  # answer 200 text/html instead of the file

    @property
    def size(self) -> int:
        return self.content.stat().st_size if isinstance(self.content, Path) else len(self.content)

    def read(self, start: int, count: int) -> bytes:
        if isinstance(self.content, bytes):
            return self.content[start : start + count]
        with self.content.open("rb") as handle:
            handle.seek(start)
            return handle.read(count)


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up early (as a refusing download, a killed process or a cancelled
    stream does) is expected here, not an error to print over the output a test reads. Shared by
    the loopback servers of the benchmarks and the tests."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def answer_range(handler: BaseHTTPRequestHandler, size: int, honour_range: bool = True) -> int | None:
    """Send the status and headers for a file of `size` bytes as its Range header asks ("bytes=N-"):
    200 for the whole, 206 from N, or 416 past the end (then None: nothing more to send). Returns
    the offset the body starts at. With `honour_range` False the header is ignored, as some
    servers do."""
    asked = re.fullmatch(r"bytes=(\d+)-", handler.headers.get("Range") or "")
    start = int(asked.group(1)) if asked and honour_range else 0
    if asked and honour_range and start >= size:
        handler.send_response(416)
        handler.send_header("Content-Range", f"bytes */{size}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return None
    handler.send_response(206 if start else 200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Content-Length", str(size - start))
    handler.send_header("Accept-Ranges", "bytes")
    if start:
        handler.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
    handler.end_headers()
    return start


@dataclass(frozen=True)
class Seen:
    path: str
    range: str | None


class ModelServer:
    """`serve(name, content, …)` puts a file at `url(name)`; `requests` is what arrived."""

    def __init__(self) -> None:
        self.files: dict[str, Served] = {}
        self.requests: list[Seen] = []
        self.release = threading.Event()  # lets stalled responses go
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(Seen(self.path, self.headers.get("Range")))
                served = server.files.get(self.path)
                if served is None:
                    self.send_error(404, "Not Found")
                    return
                server.answer(self, served)

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="model-server", daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def serve(self, name: str, content: Path | bytes, **behaviour: object) -> str:
        self.files[f"/{name}"] = Served(content, **behaviour)
        return self.url(name)

    def ranges(self, name: str) -> list[str | None]:
        return [seen.range for seen in self.requests if seen.path == f"/{name}"]

    def answer(self, handler: BaseHTTPRequestHandler, served: Served) -> None:
        if served.html:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(HTML_PAGE)))
            handler.end_headers()
            handler.wfile.write(HTML_PAGE)
            return
        size = served.size
        start = answer_range(handler, size, served.honour_range)
        if start is not None:
            self.send_body(handler, served, start, size)

    def send_body(self, handler: BaseHTTPRequestHandler, served: Served, start: int, size: int) -> None:
        limit = None
        if served.cut_after is not None and served.cuts > 0:
            served.cuts -= 1
            limit = served.cut_after
        sent = 0
        while start + sent < size:
            if served.stall_after is not None and sent >= served.stall_after:
                self.release.wait(10)
                break
            count = CHUNK if limit is None else min(CHUNK, limit - sent)
            if count <= 0:
                break
            block = served.read(start + sent, count)
            try:
                handler.wfile.write(block)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(block)
        handler.close_connection = True  # an early stop reaches the client as a cut connection

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
