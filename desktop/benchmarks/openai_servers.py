"""OpenAI-compatible servers run as real child processes on 127.0.0.1, each on a free port and
stopped at the end: llama.cpp's own server as llama-cpp-python runs it (`llama_cpp.server`, the
`[server]` extra), and Longwit's `longwit serve`. The remote-engine tests use the first;
`longwit bench engines` compares the two against the model in-process."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2

SERVER_CTX = 2048
ALIAS = "smollm2"
# What `python -m llama_cpp.server` imports beyond llama_cpp (llama-cpp-python's `[server]` extra).
LLAMA_SERVER_MODULES = ("fastapi", "pydantic_settings", "sse_starlette", "starlette_context", "uvicorn")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def llama_server_missing() -> str | None:
    """Why llama.cpp's server cannot run in this environment, or None when it can."""
    missing = [name for name in LLAMA_SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        return (f"llama-cpp-python's server is not installed (no {', '.join(missing)}); "
                "`pip install 'llama-cpp-python[server]'` adds it")
    return None


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
def llama_server(model: Path, log_dir: Path, api_key: str | None = None, n_ctx: int = SERVER_CTX,
                 n_threads: int = 2, verbose: bool = True,
                 extra: Sequence[str] = ()) -> Iterator[RunningServer]:
    """llama.cpp's server on a free port, once it answers /v1/models (it loads SmolLM2 in a second or
    two). `verbose`: its log says how much of each prompt it reused (and costs a line per request)."""
    command = ["-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
               "--n_ctx", str(n_ctx), "--model_alias", ALIAS, "--n_threads", str(n_threads),
               "--verbose", str(verbose), *extra]
    if api_key:
        command += ["--api_key", api_key]
    with child_server(command, log_dir, "llama-server", api_key) as server:
        yield server


@contextlib.contextmanager
def longwit_server(model: Path, log_dir: Path, home: Path, n_ctx: int = SERVER_CTX,
                   n_threads: int = 2) -> Iterator[RunningServer]:
    """`longwit serve` from this checkout on a free port, with its own LONGWIT_HOME (a server started
    for a measurement is not a model the person used)."""
    command = ["-m", "desktop", "serve", "--model", str(model), "--host", "127.0.0.1",
               "--ctx", str(n_ctx), "--threads", str(n_threads), "--no-access-log"]
    project = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (project, os.environ.get("PYTHONPATH", "")) if p)
    with child_server(command, log_dir, "longwit-serve", None,
                      {"PYTHONPATH": path, "LONGWIT_HOME": str(home)}) as server:
        yield server


@contextlib.contextmanager
def child_server(arguments: list[str], log_dir: Path, name: str, api_key: str | None,
                 environment: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """`python ARGUMENTS --port P` as a child, its output in a log file, stopped at the end."""
    with command_server([sys.executable, *arguments], log_dir, name, api_key, environment) as server:
        yield server


@contextlib.contextmanager
def command_server(command: list[str], log_dir: Path, name: str, api_key: str | None = None,
                   environment: dict[str, str] | None = None,
                   start_s: float = 90.0) -> Iterator[RunningServer]:
    """`COMMAND --port P` as a child (any server binary: llama.cpp's own, vLLM's), its output in a
    log file, once it answers /v1/models within `start_s`; stopped at the end."""
    port = free_port()
    log = log_dir / f"{name}-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(environment or {})}
    with log.open("wb") as sink:
        process = subprocess.Popen([*command, "--port", str(port)], stdout=sink,
                                   stderr=subprocess.STDOUT, env=env)
    server = RunningServer(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_up(server, api_key, start_s)
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
            raise RuntimeError(f"the server exited:\n{server.output()[-2000:]}")
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(server.url + "/v1/models", headers=headers, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not start in {limit_s:g} s:\n{server.output()[-2000:]}")
