"""What a download reports while it runs: bytes done of how many, the speed, the time left; and the
meter that measures them and reports a few times a second rather than once per chunk.

The speed is over the last few seconds, not since the start, so the time left follows the
connection as it is now (a resumed download does not count the bytes it already had as fast ones).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

SPEED_WINDOW_S = 4.0


def byte_text(size: float) -> str:
    """Decimal units, as file managers and download pages show them: '639 MB', '2.50 GB'."""
    if size >= 1e9:
        return f"{size / 1e9:.2f} GB"
    if size >= 1e6:
        return f"{size / 1e6:.0f} MB"
    return f"{size / 1e3:.0f} kB"


def duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@dataclass(frozen=True)
class DownloadProgress:
    done: int  # bytes of the file on disk so far
    total: int | None  # the file's size, when known
    bytes_per_s: float  # over the last few seconds
    stage: str = "downloading"  # or "checking" (hashing what a resumed download already had)

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None

    @property
    def seconds_left(self) -> float | None:
        if not self.total or self.bytes_per_s <= 0:
            return None
        return max(0, self.total - self.done) / self.bytes_per_s

    def describe(self) -> str:
        """'288 MB of 639 MB · 12.3 MB/s · 29 s left'."""
        if self.stage == "checking":
            return f"Checking the {byte_text(self.done)} already downloaded…"
        amount = byte_text(self.done) + (f" of {byte_text(self.total)}" if self.total else "")
        if self.bytes_per_s <= 0:
            return amount
        left = self.seconds_left
        speed = f"{self.bytes_per_s / 1e6:.1f} MB/s"
        return f"{amount} · {speed}" + (f" · {duration_text(left)} left" if left is not None else "")


ProgressReport = Callable[[DownloadProgress], None]


class DownloadMeter:
    """Turns byte counts into DownloadProgress reports, at most one per `every_s`."""

    def __init__(self, report: ProgressReport | None, total: int | None, every_s: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.report = report
        self.total = total
        self.every_s = every_s
        self.clock = clock
        self.samples: deque[tuple[float, int]] = deque()
        self.last_report = float("-inf")

    def start(self, done: int) -> None:
        """Counting begins (again) at `done` bytes: a resumed part's bytes are no part of the speed."""
        self.samples.clear()
        self.samples.append((self.clock(), done))
        self.last_report = float("-inf")
        self.update(done)

    def speed(self) -> float:
        if len(self.samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self.samples[0], self.samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def update(self, done: int, force: bool = False) -> None:
        now = self.clock()
        self.samples.append((now, done))
        while len(self.samples) > 2 and self.samples[0][0] < now - SPEED_WINDOW_S:
            self.samples.popleft()
        if self.report is not None and (force or now - self.last_report >= self.every_s):
            self.last_report = now
            self.report(DownloadProgress(done, self.total, self.speed()))

    def checking(self, done: int) -> None:
        if self.report is not None:
            self.report(DownloadProgress(done, self.total, 0.0, stage="checking"))
