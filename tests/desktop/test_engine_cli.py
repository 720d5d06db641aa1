"""`--engine URL` on the command line, as a separate process against llama.cpp's real server
(llama-cpp-python's, serving the bundled SmolLM2 with an API key): the server's models listed, a
question answered, a chat whose first line and figures name the engine, a spoken turn; and the
key, found in the environment, never reaching the output, the log or the database. A server that
is down or a wrong key is one `Error:` line."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.benchmarks.openai_servers import ALIAS, SERVER_CTX, RunningServer, free_port, llama_server
from storage import ConversationStore, open_database
from tests.conftest import project_environment
from tests.desktop.test_cli import LONGWIT, one_clear_line
from tests.desktop.test_voice_cli import script

KEY = "sk-longwit-test-5f1c9e"


@pytest.fixture(scope="module")
def keyed_server(chat_model_path: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[RunningServer]:
    with llama_server(chat_model_path, tmp_path_factory.mktemp("llama-server"), api_key=KEY) as server:
        yield server


def run(home: Path, *args: str, key: str | None = KEY, stdin: str | None = None,
        **env: str) -> subprocess.CompletedProcess:
    extra = {"LONGWIT_HOME": str(home), **env}
    environment = project_environment(**extra)
    for name in ("LONGWIT_ENGINE_API_KEY", "OPENAI_API_KEY", "LONGWIT_ENGINE"):
        environment.pop(name, None)
    if key is not None:
        environment["LONGWIT_ENGINE_API_KEY"] = key
    return subprocess.run([*LONGWIT, *args], capture_output=True, text=True, input=stdin,
                          env=environment, timeout=240, check=False)


def everything_written(home: Path) -> bytes:
    """Every byte under the Longwit home: the database (and its WAL), the log, anything else."""
    return b"".join(path.read_bytes() for path in sorted(home.rglob("*")) if path.is_file())


def test_models_lists_what_the_server_offers(keyed_server: RunningServer, longwit_home: Path) -> None:
    result = run(longwit_home, "models", "--engine", keyed_server.url)
    assert result.returncode == 0, result.stderr
    assert f"Models at {keyed_server.url}:" in result.stdout and ALIAS in result.stdout


def test_ask_answers_through_the_engine_and_keeps_the_key_out_of_everything(
        keyed_server: RunningServer, longwit_home: Path) -> None:
    result = run(longwit_home, "ask", "--engine", keyed_server.url, "--ctx", str(SERVER_CTX),
                 "--max-tokens", "16", "--temperature", "0", "What is the capital of France?",
                 LONGWIT_DEBUG="1")  # debug logging: questions and answers go to the log, the key not
    assert result.returncode == 0, result.stderr
    store = ConversationStore(open_database(longwit_home / "longwit.db"))
    question, answer = store.messages(1)
    assert question.content == "What is the capital of France?"
    assert answer.content.strip() and answer.content.strip() in result.stdout
    assert answer.model == ALIAS
    assert "capital of France" in (longwit_home / "logs" / "longwit.log").read_text()  # debug on
    assert KEY not in result.stdout + result.stderr
    store.db.conn.close()
    assert KEY.encode() not in everything_written(longwit_home)


def test_chat_names_the_engine_where_a_local_model_names_its_cpu_and_gpu(
        keyed_server: RunningServer, longwit_home: Path) -> None:
    result = run(longwit_home, "chat", "--engine", keyed_server.url, "--ctx", str(SERVER_CTX),
                 "--max-tokens", "12", "--temperature", "0", stdin="Say hello.\n")
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{ALIAS} · 2,048-token context (--ctx) · engine {keyed_server.url}")
    figures = [line for line in result.stderr.splitlines() if line.startswith("(")]
    assert figures and figures[0].endswith(f"· engine {keyed_server.url})")


def test_a_wrong_key_is_one_line_that_does_not_print_it(keyed_server: RunningServer,
                                                        longwit_home: Path) -> None:
    wrong = "sk-wrong-key-8d2b"
    result = run(longwit_home, "ask", "--engine", keyed_server.url, "Hello?", key=wrong)
    assert result.returncode == 1
    line = one_clear_line(result)
    assert "its API key is wrong" in line and "LONGWIT_ENGINE_API_KEY" in line
    assert wrong not in result.stdout + result.stderr
    assert wrong.encode() not in everything_written(longwit_home)
    missing = run(longwit_home, "models", "--engine", keyed_server.url, key=None)
    assert "its API key is missing" in one_clear_line(missing)


def test_a_server_that_is_down_is_one_line_naming_it(longwit_home: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run(longwit_home, "ask", "--engine", url, "Hello?")
    assert result.returncode == 1
    line = one_clear_line(result)
    assert f"Could not reach the engine at {url}" in line and "server is running" in line


@pytest.mark.slow
def test_a_spoken_turn_is_answered_by_the_engine(keyed_server: RunningServer, longwit_home: Path,
                                                 tmp_path: Path) -> None:
    mic = script(tmp_path / "mic.wav", 0.5, "How many legs does a spider have?", 8.0)
    result = run(longwit_home, "voice", "--engine", keyed_server.url, "--ctx", str(SERVER_CTX),
                 "--mic", str(mic), "--speaker", str(tmp_path / "out.wav"), "--max-tokens", "20",
                 "--temperature", "0")
    assert result.returncode == 0, result.stderr
    assert f"engine {keyed_server.url}" in result.stderr
    store = ConversationStore(open_database(longwit_home / "longwit.db"))
    messages = [m for c in store.list() for m in store.messages(c.id)]
    assert [m.role for m in messages] == ["user", "assistant"], result.stdout
    assert "spider" in messages[0].content.lower() and messages[1].content.strip()
    assert messages[1].model == ALIAS
    assert [line for line in result.stdout.splitlines() if line.startswith("longwit: ")]
