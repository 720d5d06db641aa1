"""Measuring how well the loaded model compresses a stored document, from the window.

The document's chunks are read off the GUI thread, on a connection of the task's own; the meter
then runs on the model's thread (`ModelHost.call`), where calls run one at a time: a measurement
started while an answer is written waits for it, and a question asked while the meter runs waits
for the meter (the scan forgets the KV cache, so that answer re-reads its prompt). Progress, the
report or the stop reach the GUI thread through the TaskRunner.

The figures are not stored: they belong to one model file and window size, a measurement costs one
pass, and `longwit compress --json` writes them to a file for anyone who wants to keep them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.diagnostics.error_report import error_message
from desktop.window.background import BackgroundTask, Progress, TaskRunner
from engine.compression_meter import CompressionReport, MeterOptions, MeterPassage, measure_compression
from engine.errors import ScoringCancelled
from engine.loader import LoadedModel
from engine.model_host import ModelHost
from storage import DocumentStore, open_database

PROGRESS_STEP = 0.005  # progress reaches the window every half percent (a book has thousands of chunks)


@dataclass(frozen=True)
class MeasuredDocument:
    """A finished measurement, with the text measured so that a passage can be shown again."""

    document_id: int
    title: str
    passages: list[MeterPassage]  # the stored chunks in order, each with its place
    report: CompressionReport


@dataclass(frozen=True)
class MeasurementStopped:
    document_id: int


def stored_passages(database: Path, document_id: int) -> tuple[str, list[MeterPassage]]:
    """A stored document's title and its chunks as the meter's passages, labelled with their place
    (the same passages `longwit compress` measures for the file). Call it off the GUI thread."""
    db = open_database(database)
    try:
        documents = DocumentStore(db)
        title = documents.get(document_id).title
        chunks = documents.chunks(document_id)
    finally:
        db.conn.close()
    return title, [MeterPassage(chunk.text, chunk.location.label()) for chunk in chunks]


def throttled(progress: Progress, step: float = PROGRESS_STEP) -> Progress:
    """`progress`, called only when the share has moved by `step` or the phase has changed."""
    last: list[float | str] = [-1.0, ""]

    def report(fraction: float, what: str) -> None:
        if what != last[1] or fraction - float(last[0]) >= step or fraction >= 1.0:
            last[0], last[1] = fraction, what
            progress(fraction, f"Measuring {what}…")

    return report


def compression_refusal(chosen: bool, model_ready: bool, voice_call: bool,
                        measuring: str | None, engine: str | None = None) -> str | None:
    """Why a measurement cannot start now, in words for the banner; None when it can. `engine`:
    the remote engine answering, whose server gives no token probabilities to measure with."""
    if measuring is not None:
        return f"Already measuring “{measuring}”: wait for it, or cancel it in its window."
    if not chosen:
        return ("Choose one of the documents pinned to this conversation in the documents list "
                "(add one with Ctrl+O), then measure it.")
    if not model_ready:
        return "Measuring needs the model: wait for it to load."
    if engine is not None:
        return (f"Measuring needs a model loaded on this computer; the answers come from the engine "
                f"at {engine}. Choose a local model (Ctrl+M), then measure.")
    if voice_call:
        return "Hang up the voice call first: the meter holds the model until it has finished."
    return None


class CompressionController(QObject):
    """One measurement at a time; its signals arrive on the GUI thread."""

    progress = Signal(float, str)  # share done, what is happening
    measured = Signal(object)  # MeasuredDocument
    stopped = Signal(int)  # document id
    failed = Signal(str)  # one line for the view

    def __init__(self, database: Path, host: ModelHost, runner: TaskRunner,
                 options: MeterOptions | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database, self.host, self.runner = database, host, runner
        self.options = options or MeterOptions()
        self.task: BackgroundTask | None = None
        self.title: str | None = None  # of the document being measured

    @property
    def busy(self) -> bool:
        return self.task is not None and self.task.running

    @property
    def measuring(self) -> str | None:
        """The title of the document being measured, None when nothing is."""
        return self.title if self.busy else None

    def measure(self, document_id: int, title: str) -> None:
        self.title = title

        def work(progress: Progress, cancel: threading.Event) -> MeasuredDocument | MeasurementStopped:
            return self._measure(document_id, progress, cancel)

        self.task = self.runner.run(
            "measure-compression", work, on_done=self._finished,
            on_failed=self._failed, on_progress=self.progress.emit)

    def cancel(self) -> None:
        """Stop the measurement within the model's next batch (or before it starts, if queued)."""
        if self.task is not None:
            self.task.cancel()

    def _finished(self, outcome: MeasuredDocument | MeasurementStopped) -> None:
        self.task = None  # done, though its thread may take a moment more to end
        if isinstance(outcome, MeasurementStopped):
            self.stopped.emit(outcome.document_id)
        else:
            self.measured.emit(outcome)

    def _failed(self, error: BaseException) -> None:
        self.task = None
        self.failed.emit(error_message(error))

    def _measure(self, document_id: int, progress: Progress,
                 cancel: threading.Event) -> MeasuredDocument | MeasurementStopped:
        progress(0.0, "Reading the document's passages…")
        title, passages = stored_passages(self.database, document_id)
        progress(0.0, "Waiting for the model…")  # it may be writing an answer
        relay = throttled(progress)

        def run(model: LoadedModel) -> CompressionReport:
            if cancel.is_set():  # stopped while queued: leave the chat's KV cache alone
                raise ScoringCancelled()
            return measure_compression(model, title, passages, self.options, relay, cancel)

        try:
            report = self.host.call(run)
        except ScoringCancelled:
            return MeasurementStopped(document_id)
        return MeasuredDocument(document_id, title, passages, report)
