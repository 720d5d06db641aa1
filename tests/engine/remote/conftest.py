"""Fixtures for the remote-engine tests: llama.cpp's server (llama-cpp-python's) serving the bundled
SmolLM2, started once per module, and a model host connected to it per test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop.benchmarks.openai_servers import SERVER_CTX, RunningServer, llama_server
from engine.model_host import ModelHost
from engine.remote.client import EngineTimeouts
from engine.remote.remote_model import RemoteEngine
from tests.engine.remote.misbehaving_server import MisbehavingServer


@pytest.fixture(scope="module")
def engine_server(chat_model_path: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[RunningServer]:
    with llama_server(chat_model_path, tmp_path_factory.mktemp("llama-server")) as server:
        yield server


@pytest.fixture
def remote_host(engine_server: RunningServer, tmp_path: Path) -> Iterator[ModelHost]:
    """A model host whose model is the server's (its window given, as `--ctx` would)."""
    with connected_host(RemoteEngine(engine_server.url, n_ctx=SERVER_CTX), tmp_path) as host:
        yield host


@contextmanager
def connected_host(engine: RemoteEngine, folder: Path) -> Iterator[ModelHost]:
    """A model host whose model is `engine`'s, closed at the end."""
    host = ModelHost(folder / "models")
    host.connect(engine)
    try:
        yield host
    finally:
        host.close()


@pytest.fixture
def misbehaving() -> Iterator[list[MisbehavingServer]]:
    """Start one with `misbehaving.append(MisbehavingServer(...))`; all are closed afterwards."""
    servers: list[MisbehavingServer] = []
    yield servers
    for server in servers:
        server.close()


def quick(url: str, read_s: float = 1.0) -> RemoteEngine:
    return RemoteEngine(url, timeouts=EngineTimeouts(connect_s=2.0, read_s=read_s))
