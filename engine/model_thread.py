"""The thread the model lives on: jobs run one at a time in the order given, each with a Future.

It replaces a one-worker ThreadPoolExecutor for the sake of shutting down. An executor's worker is
joined without a limit, by `shutdown(wait=True)` and again by Python at exit, so one job that does
not end (a load inside llama.cpp cannot be interrupted; a remote engine that stopped answering)
held the app open for as long as it ran. This thread is a daemon, and `stop` waits for it only so
long: what it was doing is then left to end with the process.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from engine.errors import EngineError

T = TypeVar("T")
Job = tuple[Future, Callable[[], Any], str]


class ModelThread:
    """Runs submitted functions in order on one daemon thread; `stop` ends it within a time limit."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # submit and stop: no job is queued behind the end
        self._stopping = False
        self.doing: str | None = None  # what the job under way does, for the log
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, function: Callable[[], T], what: str = "running a call into the model"
               ) -> Future[T]:
        """Queue `function`; its Future holds what it returns or raises (or is cancelled by `stop`).
        `what` it does is for the log, should it not end (never a prompt's text)."""
        future: Future[T] = Future()
        with self._lock:
            if self._stopping:
                raise EngineError("The model has been closed; start Longwit again to use it.")
            self._jobs.put((future, function, what))
        return future

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            self._run_one(*job)
            del job  # what the job holds (a prompt, a model) is not kept until the next one

    def _run_one(self, future: Future, function: Callable[[], Any], what: str) -> None:
        if future.set_running_or_notify_cancel():
            self.doing = what
            try:
                future.set_result(function())
            except BaseException as error:  # handed to whoever waits on the future
                future.set_exception(error)
            finally:
                self.doing = None

    def stop(self, last: Callable[[], None], timeout_s: float) -> bool:
        """Cancel the jobs not yet started, run `last` after the one under way, and wait for the
        thread up to `timeout_s`; True if it ended (False: it is still in that job)."""
        with self._lock:
            if not self._stopping:
                self._stopping = True
                self._cancel_waiting()
                self._jobs.put((Future(), last, "closing"))
                self._jobs.put(None)
        if threading.current_thread() is self._thread:  # asked from a job: it ends after this one
            return False
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _cancel_waiting(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job[0].cancel()
