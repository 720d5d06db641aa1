"""The `longwit` command end to end, in child processes like a person's shell: answers stream and
persist across processes, and every bad input ends in one clear line, an exit code, and an intact
database."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import ConversationStore, open_database
from tests.conftest import SPEECH_SEED, project_environment, read_only_folder, signals_as_from_a_terminal

LONGWIT = [sys.executable, "-m", "desktop"]
# The same command with Piper speaking from the suite's seed (tests/seeded_longwit.py).
SEEDED_LONGWIT = [sys.executable, "-m", "tests.seeded_longwit"]


def longwit(home: Path, *args: str, prefix: list[str] | None = None,
            stdin: str | None = None, timeout: float = 240,
            seeded: bool = False) -> subprocess.CompletedProcess:
    """`longwit ARGS` in a child process; `seeded`: its voice speaks the same on every run."""
    command = SEEDED_LONGWIT if seeded else LONGWIT
    return subprocess.run(
        [*(prefix or []), *command, *args], capture_output=True, text=True, input=stdin,
        env=project_environment(LONGWIT_HOME=str(home), LONGWIT_TEST_SPEECH_SEED=str(SPEECH_SEED)),
        timeout=timeout, check=False,
    )


def one_clear_line(result: subprocess.CompletedProcess) -> str:
    """The error output is a single `Error: …` line, never a traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def saved_messages(home: Path) -> list[tuple[int, str, str, bool]]:
    store = ConversationStore(open_database(home / "longwit.db"))
    return [(m.conversation_id, m.role, m.content, m.cut)
            for c in store.list() for m in store.messages(c.id)]


def test_ask_answers_and_a_second_process_sees_the_conversation(longwit_home: Path) -> None:
    asked = longwit(longwit_home, "ask", "--max-tokens", "40", "What is the capital of France?")
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip()
    listed = longwit(longwit_home, "history")
    assert "What is the capital of France?" in listed.stdout
    found = longwit(longwit_home, "history", "--search", "capital")
    assert "[capital]" in found.stdout
    shown = longwit(longwit_home, "history", "--id", "1")
    assert asked.stdout.strip()[:30] in shown.stdout


def test_ask_deliberately_says_how_many_answers_agree_and_keeps_the_samples(longwit_home: Path) -> None:
    asked = longwit(longwit_home, "ask", "--max-tokens", "16", "Name one colour.", "--deliberate", "3")
    assert asked.returncode == 0, asked.stderr
    assert "deliberating: 3 answers" in asked.stderr
    agreeing = next(line for line in asked.stderr.splitlines() if "answers agree" in line)
    assert agreeing.endswith("of 3 answers agree.]"), asked.stderr
    others = [line for line in asked.stderr.splitlines() if "other answer:" in line]
    assert len(others) == 3 - int(agreeing.strip("[").split()[0])
    db = sqlite3.connect(longwit_home / "longwit.db")
    assert db.execute("SELECT COUNT(*), SUM(chosen) FROM answer_samples").fetchone() == (3, 1)
    db.close()


def test_chat_continues_the_last_conversation(longwit_home: Path) -> None:
    first = longwit(longwit_home, "ask", "--max-tokens", "20", "My name is Ada.")
    assert first.returncode == 0, first.stderr
    chat = longwit(longwit_home, "chat", "--continue", "--max-tokens", "20",
                   stdin="What is my name?\n/exit\n")
    assert chat.returncode == 0, chat.stderr
    conversations = {conversation for conversation, *_ in saved_messages(longwit_home)}
    roles = [role for _, role, _, _ in saved_messages(longwit_home)]
    assert conversations == {1} and roles == ["user", "assistant", "user", "assistant"]


@pytest.mark.parametrize(
    ("model_file", "expected"),
    [
        (None, "No model file at"),
        (b"just some text, renamed\n", "is not a GGUF model file"),
        ("truncated", "is incomplete"),
    ],
)
def test_bad_model_files_get_one_clear_line(
    longwit_home: Path, tmp_path: Path, chat_model_path: Path, model_file, expected: str
) -> None:
    path = tmp_path / "model.gguf"
    if model_file == "truncated":
        path.write_bytes(chat_model_path.read_bytes()[:3_000_000])
    elif model_file is not None:
        path.write_bytes(model_file)
    result = longwit(longwit_home, "ask", "--model", str(path), "hello")
    assert result.returncode == 1
    line = one_clear_line(result)
    assert (expected in line and str(path) in line) or "No model file" in line


def test_context_larger_than_memory_is_refused_with_what_fits(longwit_home: Path) -> None:
    result = longwit(longwit_home, "ask", "--ctx", str(2**36), "--gpu-layers", "0", "hello")
    assert result.returncode == 1
    assert "--ctx" in one_clear_line(result)


def test_locked_database_gives_one_line_and_keeps_messages(longwit_home: Path) -> None:
    assert longwit(longwit_home, "ask", "--max-tokens", "10", "first question").returncode == 0
    before = saved_messages(longwit_home)
    holder = sqlite3.connect(longwit_home / "longwit.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = longwit(longwit_home, "ask", "--continue", "second question")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "locked by another program" in one_clear_line(result)
    assert saved_messages(longwit_home) == before


def test_read_only_database_gives_one_line_and_keeps_messages(longwit_home: Path) -> None:
    assert longwit(longwit_home, "ask", "--max-tokens", "10", "first question").returncode == 0
    before = saved_messages(longwit_home)
    with read_only_folder(longwit_home) as prefix:
        result = longwit(longwit_home, "ask", "--continue", "second question", prefix=prefix)
    assert result.returncode == 1
    assert "read-only" in one_clear_line(result)
    assert saved_messages(longwit_home) == before


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_mid_answer_exits_130_and_saves_the_cut_answer(
    longwit_home: Path, stop_signal: signal.Signals
) -> None:
    process = subprocess.Popen(
        [*LONGWIT, "ask", "--max-tokens", "2000",
         "Write a long essay of at least two thousand words about the history of bridges, "
         "with many sections."],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=project_environment(LONGWIT_HOME=str(longwit_home)),
        preexec_fn=signals_as_from_a_terminal,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.read(1)  # the answer has started streaming
        time.sleep(0.3)
        process.send_signal(stop_signal)
        # Read through the same text wrappers as read(1) did; communicate() would skip what
        # they have already buffered.
        rest, errors = process.stdout.read(), process.stderr.read()
        process.wait(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, errors
    assert "Traceback" not in errors and "partial answer was saved" in errors
    question, answer = saved_messages(longwit_home)
    assert question[1] == "user" and answer[1] == "assistant" and answer[3] is True
    printed = (first + rest).strip()
    assert answer[2].strip() and printed.startswith(answer[2].strip()[:20])


def test_models_lists_bundled_models_recent_ones_and_gpu_support(longwit_home: Path) -> None:
    assert longwit(longwit_home, "ask", "--max-tokens", "5", "hi").returncode == 0
    result = longwit(longwit_home, "models")
    assert result.returncode == 0, result.stderr
    assert "smollm2-135m-instruct" in result.stdout and "8,192 tokens" in result.stdout
    assert "gemma-3-270m" in result.stdout and "32,768 tokens" in result.stdout
    assert "Recently used" in result.stdout and "GPU offload:" in result.stdout


def test_unknown_conversation_id_is_one_clear_line(longwit_home: Path) -> None:
    result = longwit(longwit_home, "history", "--id", "42")
    assert result.returncode == 1
    assert "no conversation 42" in one_clear_line(result)
