"""The model picker's Download tab: the catalogue of models Longwit can download, whether each fits
this machine (the picker's own memory estimate, from the catalogue before the file is here), and a
download with a progress bar (bytes, speed, time left), Cancel, and Resume after a cancel, a crash
or a lost connection.

The download runs through `TaskRunner` like every long task, so the picker stays responsive; what
it reports reaches the widgets on the GUI thread. A cancel keeps the `.part` for Resume; closing the
picker cancels too. Only a verified file is announced (`downloaded`), and the picker then selects it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.memory_estimate import estimate_memory, fit_text
from desktop.window.background import BackgroundTask, TaskRunner
from engine.download_progress import byte_text
from engine.errors import DownloadCancelled
from engine.model_catalogue import CatalogueEntry
from engine.model_download import DownloadOptions, DownloadRequest, download_model
from engine.partial_download import PartialDownload

ENTRY_ROLE = Qt.ItemDataRole.UserRole
STEPS = 1000  # the progress bar's resolution


class CataloguePanel(QWidget):
    """The catalogue as a list, with Download/Resume, a progress bar and Cancel."""

    downloaded = Signal(object)  # the verified file's Path (also for a model already downloaded)
    finished = Signal()  # a download ended: done, failed or stopped

    def __init__(self, entries: Sequence[CatalogueEntry], models_dir: Path,
                 available_memory: Callable[[], int], offload: bool, kv_type: str = "f16",
                 parent: QWidget | None = None, *, options: DownloadOptions | None = None) -> None:
        super().__init__(parent)
        self._entries = list(entries)
        self._models_dir = models_dir
        self._available = available_memory
        self._offload = offload
        self._kv_type = kv_type
        self._options = options or DownloadOptions()
        self.runner = TaskRunner(self)
        self._task: BackgroundTask | None = None
        self._active: CatalogueEntry | None = None  # the entry being downloaded
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.list = QListWidget()
        self.list.setAccessibleName("Models to download")
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.currentRowChanged.connect(self._update_buttons)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, STEPS)
        self.progress.setAccessibleName("Download progress")
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = QLabel(f"Files go to {self._models_dir}. Downloading is the only time Longwit uses "
                      "the network, and only when you ask; each file is checked against its "
                      "SHA-256 before it can be loaded.")
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, stretch=1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, stretch=1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(note)

    # --- the list --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw the rows (what fits, what is here), keeping the selection."""
        row = max(self.list.currentRow(), 0)
        self.list.clear()
        available = self._available()
        for entry in self._entries:
            estimate = estimate_memory(entry.expected_header(self._models_dir), None, self._kv_type,
                                       self._offload, available)
            item = QListWidgetItem(
                f"{entry.title} · {entry.quantization} · {byte_text(entry.size_bytes)} · {entry.licence}\n"
                f"{entry.context_length:,}-token context · {fit_text(estimate)} · {self._here(entry)}"
            )
            item.setData(ENTRY_ROLE, entry)
            item.setToolTip(f"{entry.description}\n\nSource: {entry.source}")
            self.list.addItem(item)
        self.list.setCurrentRow(min(row, self.list.count() - 1))
        self._update_buttons()

    def _here(self, entry: CatalogueEntry) -> str:
        if entry.is_downloaded(self._models_dir):
            return "downloaded"
        part = PartialDownload(entry.target(self._models_dir)).kept()
        return f"{byte_text(part.stat().st_size)} downloaded so far" if part else "not downloaded"

    def current_entry(self) -> CatalogueEntry | None:
        item = self.list.currentItem()
        return item.data(ENTRY_ROLE) if item is not None else None

    def select(self, name: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(ENTRY_ROLE).name == name:
                self.list.setCurrentRow(row)
                return

    def _update_buttons(self) -> None:
        entry = self.current_entry()
        busy = self.busy
        self.download_button.setEnabled(entry is not None and not busy)
        self.cancel_button.setVisible(busy)
        if entry is None:
            return
        if entry.is_downloaded(self._models_dir):
            self.download_button.setText("Use this model")
        elif PartialDownload(entry.target(self._models_dir)).kept():
            self.download_button.setText("Resume download")
        else:
            self.download_button.setText("Download")

    # --- downloading -----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """Download the selected model off the GUI thread (or hand back one already here)."""
        entry = self.current_entry()
        if entry is None or self.busy:
            return
        if entry.is_downloaded(self._models_dir):
            self.downloaded.emit(entry.target(self._models_dir))
            return
        request = DownloadRequest.for_entry(entry, self._models_dir)
        options = self._options

        def work(progress: Callable[[float, str], None], cancel: threading.Event) -> Path:
            return download_model(request, options,
                                  lambda report: progress(report.fraction or 0.0, report.describe()),
                                  cancel)

        self._active = entry
        self.progress.setValue(0)
        self.progress.show()
        self._show_status(f"Downloading {entry.title}…")
        self._task = self.runner.run(f"download {entry.name}", work, on_done=self._done,
                                      on_failed=self._failed, on_progress=self._progressed)
        self._update_buttons()

    def cancel(self) -> None:
        """Stop the download at its next network read, keeping what arrived for Resume."""
        if self._task is not None:
            self._task.cancel()
            self.cancel_button.setEnabled(False)
            self._show_status("Stopping…")

    def shutdown(self) -> None:
        """Cancel a running download without waiting for it (the picker is closing); its part stays."""
        if self._task is not None:
            self._task.cancel()

    def _progressed(self, fraction: float, message: str) -> None:
        if self._task is None:
            return
        self.progress.setValue(int(fraction * STEPS))
        name = self._active.title if self._active else ""
        self._show_status(f"{name}: {message}")

    def _ended(self) -> None:
        self._task, self._active = None, None
        self.progress.hide()
        self.cancel_button.setEnabled(True)
        self.refresh()
        self.finished.emit()

    def _done(self, path: Path) -> None:
        title = self._active.title if self._active else path.name
        self._ended()
        self._show_status(f"{title} is downloaded and checked: {path}")
        self.downloaded.emit(path)

    def _failed(self, error: BaseException) -> None:
        stopped = isinstance(error, DownloadCancelled)
        self._ended()
        self._show_status(str(error) or type(error).__name__, error=not stopped)

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c62828;" if error else "")
        self.status.setAccessibleName("Error" if error else "Download status")
