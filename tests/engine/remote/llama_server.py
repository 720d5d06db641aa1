"""llama.cpp's own OpenAI-compatible server, through llama-cpp-python's `llama_cpp.server` (the
`[server]` extra), run as a real child process on 127.0.0.1 for the remote-engine tests: started
once per test module with a small window, stopped at the end."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2

SERVER_CTX = 2048
ALIAS = "smollm2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def prefix_hits(self) -> list[int]:
        """Prompt tokens the server reused from its cache, request by request (llama-cpp-python's
        "Llama.generate: N prefix-match hit" lines)."""
        return [int(m) for m in re.findall(r"Llama\.generate: (\d+) prefix-match hit", self.output())]


@contextlib.contextmanager
def llama_server(model: Path, log_dir: Path, api_key: str | None = None,
                 n_ctx: int = SERVER_CTX) -> Iterator[RunningServer]:
    """The server on a free port, once it answers /v1/models (it loads SmolLM2 in a second or two)."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(n_ctx), "--model_alias", ALIAS, "--n_threads", "2",
               "--verbose", "True"]  # its log says how much of each prompt it reused
    if api_key:
        command += ["--api_key", api_key]
    log = log_dir / f"llama-server-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    server = RunningServer(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_up(server, api_key)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(server: RunningServer, api_key: str | None, limit_s: float = 90.0) -> None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited:\n{server.output()[-2000:]}")
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(server.url + "/v1/models", headers=headers, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"llama_cpp.server did not start in {limit_s:g} s:\n{server.output()[-2000:]}")
