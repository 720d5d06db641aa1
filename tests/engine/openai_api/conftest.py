"""A real API server for the tests: uvicorn on 127.0.0.1, on a port the system chose, serving the
session's bundled SmolLM2 from a background thread, once per module."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from engine.model_host import ModelHost
from engine.openai_api.app import create_app
from engine.openai_api.served_model import ServedModel
from engine.openai_api.server import listen, url_of, uvicorn_server

API_KEY = "test-key-9f3e"


@contextmanager
def running_api(served: ServedModel, api_key: str | None = None) -> Iterator[str]:
    """Serve the API until the block ends; yields its base URL ("http://127.0.0.1:PORT")."""
    listener = listen("127.0.0.1", 0)
    server = uvicorn_server(create_app(served, api_key), log_level="warning", access_log=False)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True,
                              name="api-server")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield url_of(listener)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        listener.close()


@pytest.fixture(scope="module")
def served(host: ModelHost) -> ServedModel:
    return ServedModel(host)


@pytest.fixture(scope="module")
def api_url(served: ServedModel) -> Iterator[str]:
    with running_api(served) as url:
        yield url


@pytest.fixture(scope="module")
def keyed_api_url(served: ServedModel) -> Iterator[str]:
    with running_api(served, API_KEY) as url:
        yield url
