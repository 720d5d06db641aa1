"""llama.cpp's own log reaches the app's log as whole lines: its errors always (a model it cannot load
says why), its info lines only with debug logging on."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.diagnostics.log_file import LogOptions, start_log
from engine.errors import ModelLoadFailed
from engine.llama_log import (
    GGML_LOG_LEVEL_CONT,
    GGML_LOG_LEVEL_DEBUG,
    GGML_LOG_LEVEL_ERROR,
    GGML_LOG_LEVEL_INFO,
    MAX_LINE_CHARS,
    LineJoiner,
)
from engine.loader import LoadOptions, load_model


def joined(pieces: list[tuple[int, str, int]], wanted=lambda _level: True) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    joiner = LineJoiner(lambda level, line: lines.append((level, line)), wanted)
    for level, text, thread in pieces:
        joiner.feed(level, text, thread)
    return lines


def test_pieces_of_a_line_are_joined_and_continue_its_level() -> None:
    lines = joined([
        (GGML_LOG_LEVEL_INFO, "load_tensors: buffer size = 92 MiB\n", 1),
        (GGML_LOG_LEVEL_CONT, ".", 1), (GGML_LOG_LEVEL_CONT, ".", 1), (GGML_LOG_LEVEL_CONT, ".\n", 1),
        (GGML_LOG_LEVEL_ERROR, "llama_model_load: error ", 1),
        (GGML_LOG_LEVEL_CONT, "loading model\n", 1),
    ])
    assert lines == [(GGML_LOG_LEVEL_INFO, "load_tensors: buffer size = 92 MiB"),
                     (GGML_LOG_LEVEL_INFO, "..."),
                     (GGML_LOG_LEVEL_ERROR, "llama_model_load: error loading model")]


def test_two_threads_pieces_do_not_mix() -> None:
    lines = joined([
        (GGML_LOG_LEVEL_INFO, "first ", 1), (GGML_LOG_LEVEL_INFO, "second ", 2),
        (GGML_LOG_LEVEL_CONT, "thread\n", 2), (GGML_LOG_LEVEL_CONT, "thread\n", 1),
    ])
    assert lines == [(GGML_LOG_LEVEL_INFO, "second thread"), (GGML_LOG_LEVEL_INFO, "first thread")]


def test_a_line_without_its_newline_ends_at_the_next_line() -> None:
    lines = joined([(GGML_LOG_LEVEL_INFO, "no newline", 1), (GGML_LOG_LEVEL_ERROR, "an error\n", 1)])
    assert lines == [(GGML_LOG_LEVEL_INFO, "no newline"), (GGML_LOG_LEVEL_ERROR, "an error")]


def test_levels_nobody_logs_are_not_kept_and_endless_lines_are_cut() -> None:
    lines = joined([(GGML_LOG_LEVEL_DEBUG, "tensor ", 1), (GGML_LOG_LEVEL_CONT, "blk.0\n", 1),
                    (GGML_LOG_LEVEL_INFO, "x" * (MAX_LINE_CHARS + 10), 1)],
                   wanted=lambda level: level != GGML_LOG_LEVEL_DEBUG)
    assert lines == [(GGML_LOG_LEVEL_INFO, "x" * (MAX_LINE_CHARS + 10))]


@pytest.fixture(scope="module")
def unknown_architecture(chat_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled model with its architecture renamed: our header check passes it, llama.cpp refuses."""
    data = bytearray(chat_model_path.read_bytes())
    at = data.index(b"llama", 0, 4096)
    data[at:at + 5] = b"llamx"
    path = tmp_path_factory.mktemp("models") / "renamed.gguf"
    path.write_bytes(bytes(data))
    return path


def test_a_model_llama_cpp_refuses_says_why_in_the_message_and_the_log(
        longwit_home: Path, unknown_architecture: Path, models_dir: Path) -> None:
    start_log()
    with pytest.raises(ModelLoadFailed, match="unknown model architecture: 'llamx'"):
        load_model(str(unknown_architecture), LoadOptions(n_ctx=512), models_dir)
    log = (longwit_home / "logs" / "longwit.log").read_text()
    assert " ERROR [MainThread] longwit.llama: llama_model_load: error loading model: unknown model " \
           "architecture: 'llamx'" in log
    assert "llama_model_loader: loaded meta data" not in log  # an info line: only with debug logging


def test_with_debug_logging_llama_cpp_info_lines_arrive_whole(longwit_home: Path, models_dir: Path) -> None:
    start_log(LogOptions(debug=True))
    model = load_model(None, LoadOptions(n_ctx=512), models_dir)
    model.llama.close()
    log = (longwit_home / "logs" / "longwit.log").read_text()
    assert " INFO [MainThread] longwit.llama: llama_model_loader: loaded meta data" in log
    # The progress dots of a load come as one CONT piece each: here they are one line.
    messages = [line.split(" longwit.llama: ", 1)[1] for line in log.splitlines()
                if " longwit.llama: " in line]
    assert any(set(message) == {"."} and len(message) > 20 for message in messages)
