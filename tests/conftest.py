"""Shared fixtures: a temporary Longwit home for every test, the real bundled chat model loaded
once per session on its own thread, a tiny synthetic model (engine/synthetic_gguf) written once,
and a real HTTP server that serves that model's file for the download tests."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from desktop.benchmarks.model_server import ModelServer
from desktop.diagnostics.log_file import stop_log
from engine.catalog import DEFAULT_MODEL, resolve_model
from engine.loader import LoadOptions
from engine.model_host import ModelHost
from engine.model_shapes import TINY
from engine.synthetic_gguf import write_synthetic_gguf
from storage import ConversationStore, open_database

SHARED_CTX = 2048
# Piper's seed in every test (seeded_piper); LONGWIT_TEST_SPEECH_SEED: the same tests, said otherwise.
SPEECH_SEED = int(os.environ.get("LONGWIT_TEST_SPEECH_SEED", "0"))

# Property tests: a few dozen examples, the same on every run, in the suite; thousands of new ones
# in a fuzzing run (`pytest --hypothesis-profile=fuzz tests/…`).
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile("suite", max_examples=50, deadline=None, derandomize=True,
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=_QUIET,
                          print_blob=True)
settings.load_profile("suite")


@pytest.fixture(autouse=True)
def longwit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes only under its own temporary LONGWIT_HOME."""
    home = tmp_path / "home"
    monkeypatch.setenv("LONGWIT_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def seeded_piper() -> None:
    """Piper's voice draws random noise (ONNX Runtime's random ops) into every sentence, so the same
    text is said a little differently each time, and tiny.en's transcript of it changes with it. A
    voice loaded during a test draws from this fixed seed instead: a test's speech is the same on
    every run (its bounds were checked over other seeds too, never tuned to this one)."""
    import onnxruntime

    onnxruntime.set_seed(SPEECH_SEED)


@pytest.fixture(autouse=True)
def no_log_left_open() -> Iterator[None]:
    """A command or window that started the app's log (in the test's home) closes it afterwards."""
    yield
    stop_log()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def chat_model_path(models_dir: Path) -> Path:
    return resolve_model(DEFAULT_MODEL, models_dir).path


@pytest.fixture(scope="session")
def tiny_shape_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny shape (two small layers of Qwen3's layout) as a GGUF with random weights."""
    return write_synthetic_gguf(TINY, tmp_path_factory.mktemp("shapes") / "tiny.gguf")


@pytest.fixture(scope="session")
def host(models_dir: Path) -> Iterator[ModelHost]:
    """The bundled SmolLM2 with a 2K window, shared by the tests that only need a working model."""
    model_host = ModelHost(models_dir)
    model_host.load(DEFAULT_MODEL, LoadOptions(n_ctx=SHARED_CTX, seed=1))
    yield model_host
    model_host.close()


@pytest.fixture
def store(longwit_home: Path) -> ConversationStore:
    return ConversationStore(open_database(longwit_home / "longwit.db"))


def project_environment(**extra: str) -> dict[str, str]:
    """The environment for a child Python process that imports the project from this checkout."""
    project = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": project, "PYTHONUNBUFFERED": "1", **extra}


def signals_as_from_a_terminal() -> None:
    """For a child that a test stops as a person would (Ctrl-C, a closed terminal): SIGINT and
    SIGHUP as a terminal gives them. A suite started in the background (`make test &`, nohup)
    passes them on ignored, and Python then never installs its KeyboardInterrupt handler."""
    for number in (signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


@contextmanager
def read_only_folder(folder: Path) -> Iterator[list[str]]:
    """Make a folder and its files read-only; yields a command prefix that makes it so for a child.

    Root ignores file modes, so as root the child runs without the capabilities that let it
    (`setpriv` from util-linux drops them from its bounding set).
    """
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a folder read-only")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    modes = {item: item.stat().st_mode for item in [folder, *folder.iterdir()]}
    for item in modes:
        item.chmod(0o555 if item.is_dir() else 0o444)
    try:
        yield prefix
    finally:
        for item, mode in modes.items():
            item.chmod(mode)


@dataclass(frozen=True)
class ServedModel:
    """The bundled SmolLM2 file as a download: its path, SHA-256 and size."""

    path: Path
    sha256: str
    size: int


@pytest.fixture(scope="session")
def served_model(chat_model_path: Path) -> ServedModel:
    digest = hashlib.sha256()
    with chat_model_path.open("rb") as handle:
        while block := handle.read(4 << 20):
            digest.update(block)
    return ServedModel(chat_model_path, digest.hexdigest(), chat_model_path.stat().st_size)


@pytest.fixture(scope="module")
def model_server() -> Iterator[ModelServer]:
    """A real HTTP server on 127.0.0.1 (Range, and misbehaviour on request), once per module."""
    server = ModelServer()
    yield server
    server.close()
