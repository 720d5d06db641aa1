"""llama.cpp's own log, kept off the terminal, remembered, and written to the app's log.

llama.cpp writes its progress and warnings straight to stderr from C; in a chat on the terminal that
is noise. We route it through one callback that keeps the recent pieces (the reason a model failed to
load is among them), prints them only when LONGWIT_DEBUG is set, and hands whole lines to the
`longwit.llama` logger: its warnings and errors always reach the log file, its info and debug lines
only when debug logging is on (desktop/diagnostics/log_file.py sets that logger's level).

The callback runs on whichever thread llama.cpp logs from (the model's, or one of ggml's), and may
be called for every piece of a line, so it does little, takes no lock, and never raises.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Callable

import llama_cpp

# ggml.h's enum ggml_log_level. CONT continues the previous call's line at its level: a model load
# logs "load_tensors: …" at INFO, then a row of "." pieces and a "\n" as CONT.
GGML_LOG_LEVEL_DEBUG, GGML_LOG_LEVEL_INFO, GGML_LOG_LEVEL_WARN = 1, 2, 3
GGML_LOG_LEVEL_ERROR, GGML_LOG_LEVEL_CONT = 4, 5
LOGGING_LEVELS = {
    GGML_LOG_LEVEL_DEBUG: logging.DEBUG,
    GGML_LOG_LEVEL_INFO: logging.INFO,
    GGML_LOG_LEVEL_WARN: logging.WARNING,
    GGML_LOG_LEVEL_ERROR: logging.ERROR,
}
MAX_LINE_CHARS = 4096  # a "line" that never ends is written out in parts of this size
MAX_THREADS = 64  # threads remembered at once; finished ones are forgotten past this

logger = logging.getLogger("longwit.llama")
recent_lines: deque[tuple[int, str]] = deque(maxlen=50)


class LineJoiner:
    """Pieces of llama.cpp's log joined into whole lines, each thread's apart (two threads' calls
    may interleave). A line ends at its newline, or when the same thread starts a line at another
    level; a piece at a level the logger would drop is not even kept."""

    def __init__(self, emit: Callable[[int, str], None],
                 wanted: Callable[[int], bool] = lambda _level: True) -> None:
        self.emit, self.wanted = emit, wanted
        self._threads: dict[int, tuple[int, str]] = {}  # thread → (level, the line so far)

    def feed(self, level: int, text: str, thread: int) -> None:
        last_level, line = self._threads.get(thread, (GGML_LOG_LEVEL_INFO, ""))
        if level == GGML_LOG_LEVEL_CONT:
            level = last_level
        elif line:
            self._write(last_level, line)  # a line that never got its newline
            line = ""
        if self.wanted(level):
            line += text
        while "\n" in line:
            whole, line = line.split("\n", 1)
            self._write(level, whole)
        if len(line) >= MAX_LINE_CHARS:
            self._write(level, line)
            line = ""
        if len(self._threads) >= MAX_THREADS and thread not in self._threads:
            self._threads = {t: held for t, held in self._threads.items() if held[1]}
        self._threads[thread] = (level, line)

    def _write(self, level: int, line: str) -> None:
        if line.strip():
            self.emit(level, line.rstrip())


def _log_line(level: int, line: str) -> None:
    logger.log(LOGGING_LEVELS.get(level, logging.INFO), "%s", line)


def _logged(level: int) -> bool:
    return logger.isEnabledFor(LOGGING_LEVELS.get(level, logging.INFO))


lines = LineJoiner(_log_line, _logged)


@llama_cpp.llama_log_callback
def remember_log_line(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    try:
        piece = text.decode("utf-8", "replace")
        recent_lines.append((level, piece))
        lines.feed(level, piece, threading.get_ident())
        if os.environ.get("LONGWIT_DEBUG"):
            print(piece, end="", file=sys.stderr, flush=True)
    except Exception:  # an exception cannot cross back into C; a lost log line is the lesser harm
        return


def install() -> None:
    llama_cpp.llama_log_set(remember_log_line, ctypes.c_void_p(0))


def first_error() -> str | None:
    """The first error llama.cpp logged since `recent_lines` was cleared (the cause: the errors
    after it are its consequences, "failed to load model"), stripped of its function-name prefix."""
    for level, line in recent_lines:
        if level == GGML_LOG_LEVEL_ERROR and line.strip():
            return line.strip().split(": ", 1)[-1]
    return None
