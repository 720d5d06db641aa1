"""Running work off the GUI thread and bringing its results back (Anki's one helper for every task).

Every long task — loading a model, reading a document, pre-filling it — goes through `TaskRunner`:
the work runs on its own Python thread with a cancel event and a progress callback, and its
progress, result or error is delivered on the GUI thread through `GuiRelay`, so no widget is ever
touched from another thread. A task's error is logged where it is caught (an unexpected one with its
traceback); the callback gets the error itself and words it with `error_message`. `shutdown()`
cancels and joins them all, so closing the window leaves no thread behind; `join_threads` is the one
bounded join that every owner of a thread in the window uses, and it logs a thread that will not end.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from desktop.diagnostics.error_report import log_error

Progress = Callable[[float, str], None]  # (fraction 0..1, what is happening)
Work = Callable[[Progress, threading.Event], Any]

logger = logging.getLogger(__name__)


def join_threads(threads: Iterable[threading.Thread | None], timeout: float, owner: str) -> list[str]:
    """Join the threads within `timeout` seconds in all (not each: closing the window must end);
    returns and logs the names of any still running, which as daemons cannot hold the app open."""
    deadline = time.monotonic() + timeout
    started = [thread for thread in threads if thread is not None and thread.ident is not None]
    for thread in started:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = [thread.name for thread in started if thread.is_alive()]
    if left:
        logger.warning("%s: %s still running %.0f s after being asked to stop", owner,
                       ", ".join(left), timeout)
    return left


class GuiRelay(QObject):
    """Calls functions on the thread this object lives on (the GUI thread), from any thread."""

    _call = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._call.connect(self._run)

    def post(self, function: Callable[..., Any], *args: Any) -> None:
        """Queue `function(*args)` to run on the GUI thread; returns at once. If the relay's owner
        was closed meanwhile (a dialog deleted while its task ran), there is no one to tell: the
        result is dropped."""
        # A deleted source raises RuntimeError ("Signal source has been deleted") or, when the
        # deletion races the emit, TypeError (" only accepts 0 argument(s), 1 given!"): seen in a
        # thread of the model picker's that read a probe record while the test closed the picker.
        with contextlib.suppress(RuntimeError, TypeError):
            self._call.emit(lambda: function(*args))

    @Slot(object)
    def _run(self, call: Callable[[], Any]) -> None:
        call()


@dataclass
class BackgroundTask:
    """One piece of work on its own thread; cancel() asks it to stop at its next check."""

    name: str
    cancel_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        if self.thread is not None:
            self.thread.join(timeout)
        return not self.running


class TaskRunner(QObject):
    """Starts background tasks and delivers what they report on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.relay = GuiRelay(self)
        self.tasks: list[BackgroundTask] = []

    def run(
        self,
        name: str,
        work: Work,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        on_progress: Progress | None = None,
    ) -> BackgroundTask:
        """Run `work(progress, cancel)` on a new thread; the callbacks run on the GUI thread."""
        task = BackgroundTask(name)

        def progress(fraction: float, message: str) -> None:
            if on_progress is not None:
                self.relay.post(on_progress, fraction, message)

        def body() -> None:
            try:
                result = work(progress, task.cancel_event)
            except BaseException as error:  # delivered to the GUI as a message, never a crash
                log_error(error, f"the background task {name}")
                if on_failed is not None:
                    self.relay.post(on_failed, error)
                return
            if on_done is not None:
                self.relay.post(on_done, result)

        task.thread = threading.Thread(target=body, name=f"longwit-{name}", daemon=True)
        self.tasks = [t for t in self.tasks if t.running]
        self.tasks.append(task)
        task.thread.start()
        return task

    def busy(self) -> bool:
        return any(task.running for task in self.tasks)

    def shutdown(self, timeout: float = 10.0) -> list[str]:
        """Cancel every task and wait for them; returns the names of any that did not stop."""
        for task in self.tasks:
            task.cancel()
        return join_threads([task.thread for task in self.tasks], timeout, "background tasks")
