"""How long the GUI thread's event loop goes without turning: a precise timer asks to run every
TICK_MS, and every late tick is a stall of (gap − TICK_MS). A window that "never freezes" keeps
the longest stall under 50 ms while models load, answers stream, documents are read and audio
plays; `longwit bench ui` and the window tests measure it with this."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer

TICK_MS = 5


@dataclass(frozen=True)
class StallStats:
    phase: str
    seconds: float  # how long the phase was watched
    ticks: int
    longest_ms: float
    p99_ms: float
    over_50_ms: int  # stalls longer than the 50 ms the issue allows

    def as_json(self) -> dict[str, float | int | str]:
        return {"phase": self.phase, "seconds": round(self.seconds, 3), "ticks": self.ticks,
                "longest_stall_ms": round(self.longest_ms, 1), "p99_stall_ms": round(self.p99_ms, 1),
                "stalls_over_50_ms": self.over_50_ms}


class StallMeter(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self._started = 0.0
        self._stalls: list[float] = []

    def start(self) -> None:
        self._stalls = []
        self._started = self._last = time.perf_counter()
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self._stalls.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now

    def stop(self, phase: str) -> StallStats:
        """Stop watching; the gap up to now counts too (a stall that has not ended yet)."""
        self._tick()
        self._timer.stop()
        stalls = np.array(self._stalls or [0.0])
        return StallStats(phase, time.perf_counter() - self._started, len(self._stalls),
                          float(stalls.max()), float(np.percentile(stalls, 99)),
                          int((stalls > 50).sum()))
