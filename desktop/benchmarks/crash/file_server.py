"""One model file served over HTTP on 127.0.0.1, with Range requests and at a steady pace, so that
`longwit models get` downloads it the way it downloads from a real server, slowly enough for a kill
to land mid-file.

The downloads' own server (desktop/benchmarks/model_server.py) also misbehaves on request; this one
needs only the honest path, paced, and shares its quiet server and Range answer.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from desktop.benchmarks.model_server import QuietServer, answer_range

BLOCK = 256 * 1024


class FileServer:
    """Serves `path` at `url`, at about `bytes_per_s`; `ranges` lists the Range headers received."""

    def __init__(self, path: Path, bytes_per_s: float) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.bytes_per_s = bytes_per_s
        self.ranges: list[str | None] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                served.answer(self)

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="crash-file-server",
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{self.path.name}"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path != f"/{self.path.name}":
            handler.send_error(404, "Not Found")
            return
        self.ranges.append(handler.headers.get("Range"))
        start = answer_range(handler, self.size)
        if start is not None:
            self.send_body(handler, start)

    def send_body(self, handler: BaseHTTPRequestHandler, start: int) -> None:
        began, sent = time.monotonic(), 0
        with self.path.open("rb") as source:
            source.seek(start)
            while block := source.read(BLOCK):
                try:
                    handler.wfile.write(block)
                except (BrokenPipeError, ConnectionResetError):
                    return
                sent += len(block)
                ahead = sent / self.bytes_per_s - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
