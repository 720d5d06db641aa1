"""llama.cpp's own log, kept off the terminal and remembered, so a load failure can say why.

llama.cpp writes its progress and warnings straight to stderr from C; in a chat on the terminal that
is noise. We route it through one callback that keeps the recent lines (the reason a model failed to
load is among them) and prints only when LONGWIT_DEBUG is set.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections import deque

import llama_cpp

GGML_LOG_LEVEL_ERROR = 3
recent_lines: deque[tuple[int, str]] = deque(maxlen=50)


@llama_cpp.llama_log_callback
def remember_log_line(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    line = text.decode("utf-8", "replace")
    recent_lines.append((level, line))
    if os.environ.get("LONGWIT_DEBUG"):
        print(line, end="", file=sys.stderr, flush=True)


def install() -> None:
    llama_cpp.llama_log_set(remember_log_line, ctypes.c_void_p(0))


def last_error() -> str | None:
    """The last error llama.cpp logged, if any, stripped of its function-name prefix."""
    for level, line in reversed(recent_lines):
        if level == GGML_LOG_LEVEL_ERROR and line.strip():
            return line.strip().split(": ", 1)[-1]
    return None
