"""A progress line on a terminal's stderr for long document work (`docs add`, `docs reread`,
`docs folders scan`), rewritten in place at most ten times a second."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

PROGRESS_INTERVAL_S = 0.1


class ProgressLine:
    """One line on a terminal's stderr, rewritten in place; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = stream.isatty()
        self.last = 0.0

    def update(self, share: float, message: str) -> None:
        now = time.monotonic()
        if not self.shown or now - self.last < PROGRESS_INTERVAL_S:
            return
        self.last = now
        width = shutil.get_terminal_size().columns - 1
        self.stream.write(f"\r\x1b[K{share:4.0%} {message}"[: width + 4])
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
