"""The model picker: which GGUF to load and how, with the memory it will take shown before loading.

It follows what people know from LM Studio and GPT4All: the bundled models, the files used recently,
"Open GGUF…", then context length, GPU layers and threads; a Download tab (`catalogue_panel`) gets
a model from the catalogue and selects it once it is downloaded and checked. It only reads the
chosen file's header (up to a fraction of a second, so on a background thread; once per file) to
say what the model is and how much memory it will need, and what `longwit probe` measured for it
(from SQLite, also off the GUI thread, which runs no SQL); loading it is the caller's business, with
the settings `chosen()` returns. A file that is not a usable GGUF is named in the dialog, in the
engine's own words, and cannot be chosen, so a bad file never gets as far as llama.cpp. A Server tab
(`engine_panel`) chooses a remote engine instead (`engine_chosen`), as `--engine URL` does.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psutil
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.diagnostics.error_report import error_message
from desktop.memory_estimate import MemoryEstimate, estimate_memory
from desktop.window.app_settings import AppSettings
from desktop.window.background import TaskRunner
from desktop.window.dialogs.catalogue_panel import CataloguePanel
from desktop.window.dialogs.engine_panel import EnginePanel
from engine.catalog import BUNDLED, DEFAULT_MODEL, bundled_file_if_ready
from engine.errors import EngineError
from engine.gguf_file import GgufInfo, read_gguf_info
from engine.loader import gpu_offload_supported
from engine.model_catalogue import CatalogueEntry, load_catalogue
from engine.model_download import DownloadOptions
from engine.probe_records import describe_probe
from engine.remote.remote_model import RemoteEngine
from storage import ProbeRecord, ProbeStore, StorageError, database_path, open_database
from storage.model_uses import ModelUse

AUTO_GPU = -2  # the GPU spin box's value for "auto" (-1 and 0 are llama.cpp's own "all" and "none")
MAX_CONTEXT = 1 << 20
ENTRY_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class ModelEntry:
    """One row of the list: a bundled model by name, or a GGUF file by path."""

    bundled: bool
    value: str  # the bundled name or the file's path


def read_header(path: Path) -> GgufInfo | str:
    """The file's GGUF header, or why it cannot be used. Runs off the GUI thread: reading past a large
    vocabulary takes 0.1 s for SmolLM2's 49K tokens here, several times that for Gemma's 262K."""
    try:
        return read_gguf_info(path)
    except EngineError as error:
        return str(error)
    except OSError as error:
        return f"Cannot read {path}: {error.strerror or error}."


def read_probe(database: Path, path: Path) -> ProbeRecord | None:
    """What `longwit probe` stored for the file, on the calling thread's own connection (never the
    GUI thread's: it runs no SQL). A database that cannot be read counts as never probed."""
    try:
        db = open_database(database)
    except StorageError:
        return None
    try:
        return ProbeStore(db).get(path)
    except StorageError:
        return None
    finally:
        db.conn.close()


def bundled_models() -> list[tuple[str, str]]:
    """(name, description) of every bundled model, the default first, for the constructor."""
    return [(model.name, model.description) for model in BUNDLED.values()]


class GpuLayersSpinBox(QSpinBox):
    """Layers to offload, with words for the special values: auto, all (-1) and none (0)."""

    WORDS: ClassVar[dict[int, str]] = {AUTO_GPU: "Automatic", -1: "All layers", 0: "None (CPU only)"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(AUTO_GPU, 999)

    def textFromValue(self, value: int) -> str:
        return self.WORDS.get(value, str(value))

    def valueFromText(self, text: str) -> int:
        for value, word in self.WORDS.items():
            if text.strip().lower() == word.lower():
                return value
        return int(text) if text.strip().lstrip("-").isdigit() else AUTO_GPU

    def validate(self, text: str, pos: int) -> object:  # typing the words works as well as numbers
        typed = text.strip().lower()
        if typed and any(word.lower().startswith(typed) for word in self.WORDS.values()):
            whole = typed in (word.lower() for word in self.WORDS.values())
            return QValidator.State.Acceptable if whole else QValidator.State.Intermediate
        return super().validate(text, pos)

    def setting(self) -> int | str:
        return "auto" if self.value() == AUTO_GPU else self.value()

    def set_setting(self, value: int | str) -> None:
        self.setValue(AUTO_GPU if value == "auto" else int(value))


class ModelPickerDialog(QDialog):
    """Choose a model and its load settings; `chosen()` gives them back as AppSettings."""

    model_chosen = Signal(object)  # AppSettings, when the dialog is accepted on a local model
    engine_chosen = Signal(object)  # RemoteEngine, when it is accepted on the Server tab
    checked = Signal()  # the selected model's header has been read (or found unusable)

    def __init__(
        self,
        settings: AppSettings,
        bundled: Sequence[tuple[str, str]],
        recent: Sequence[ModelUse],
        models_dir: Path,
        parent: QWidget | None = None,
        *,
        available_memory: Callable[[], int] | None = None,
        offload_supported: bool | None = None,
        database: Path | None = None,
        catalogue: Sequence[CatalogueEntry] | None = None,
        download_options: DownloadOptions | None = None,
        engine: RemoteEngine | None = None,
        engine_in_use: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a model")
        self._settings = settings
        self._models_dir = models_dir
        self._bundled_names = [name for name, _ in bundled]
        self._available = available_memory or (lambda: psutil.virtual_memory().available)
        self._offload = gpu_offload_supported() if offload_supported is None else offload_supported
        self._headers: dict[Path, GgufInfo | str] = {}  # a file's header, or why it cannot be read
        self._reading: set[Path] = set()  # headers being read off the GUI thread
        self._checking: Path | None = None  # the selected file, while its header is being read
        self._database = database or database_path()
        self._probes: dict[Path, ProbeRecord | None] = {}  # what `longwit probe` stored, per file
        self._probing: set[Path] = set()  # probe records being read off the GUI thread
        self._probe_for: Path | None = None  # the selected model's file, whose probe is shown
        self._runner = TaskRunner(self)
        self.info: GgufInfo | None = None  # the selected model's header, when known
        self.estimate: MemoryEstimate | None = None  # what loading it would take, when known
        self.catalogue = CataloguePanel(
            load_catalogue() if catalogue is None else catalogue, models_dir, self._available,
            self._offload, settings.kv_type, options=download_options,
        )
        self.catalogue.downloaded.connect(self._downloaded)
        self.server = EnginePanel(engine)  # the engine in use or used last
        self.server.changed.connect(self._update_ok)
        self._local_ok = False  # whether the selected local model can be loaded
        self._build(bundled, recent)
        self._select_initial(settings.model)
        if engine_in_use:
            self.tabs.setCurrentWidget(self.server)

    @classmethod
    def for_file(
        cls,
        path: Path | str,
        settings: AppSettings,
        bundled: Sequence[tuple[str, str]],
        recent: Sequence[ModelUse],
        models_dir: Path,
        parent: QWidget | None = None,
        **options,
    ) -> ModelPickerDialog:
        """The picker with a file already chosen (a .gguf dropped on the window)."""
        dialog = cls(settings, bundled, recent, models_dir, parent, **options)
        dialog.select_path(path)
        return dialog

    # --- building -----------------------------------------------------------------------------

    def _build(self, bundled: Sequence[tuple[str, str]], recent: Sequence[ModelUse]) -> None:
        self.model_list = QListWidget()
        self.model_list.setAccessibleName("Models")
        self.model_list.setSpacing(2)
        self._add_section("Bundled models")
        for name, description in bundled:
            default = " (default)" if name == DEFAULT_MODEL else ""
            self._add_entry(ModelEntry(True, name), f"{name}{default}\n{description}", description)
        self._recent_header = self._add_section("Recent files")
        shown = 0
        for use in recent:
            if use.name in self._bundled_names or not Path(use.path).is_file() or self._row_of_path(use.path):
                continue  # bundled models have their own rows; a file that is gone cannot be loaded
            when = use.last_used[:10]
            self._add_entry(ModelEntry(False, use.path), f"{use.name}\n{use.path} · last used {when}",
                            use.path)
            shown += 1
        self._no_recent = None
        if not shown:
            self._no_recent = self._add_section("No model files opened yet", italic=True)
        self.model_list.currentRowChanged.connect(self._selection_changed)

        open_button = QPushButton("Open GGUF…")
        open_button.clicked.connect(self._open_file)

        self.context_spin = QSpinBox()
        self.context_spin.setRange(0, MAX_CONTEXT)
        self.context_spin.setSingleStep(1024)
        self.context_spin.setSpecialValueText("Automatic")
        self.context_spin.setSuffix(" tokens")
        self.context_spin.setValue(self._settings.n_ctx or 0)
        self.gpu_spin = GpuLayersSpinBox()
        self.gpu_spin.set_setting(self._settings.gpu_layers)
        self.offload_label = QLabel(
            "This build of llama.cpp can offload layers to a GPU."
            if self._offload
            else "This build of llama.cpp runs on the CPU only; GPU layers are ignored."
        )
        self.offload_label.setWordWrap(True)
        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(0, 1024)
        self.threads_spin.setSpecialValueText(f"All cores ({os.cpu_count() or 1})")
        self.threads_spin.setValue(self._settings.n_threads or 0)
        for spin in (self.context_spin, self.gpu_spin, self.threads_spin):
            spin.valueChanged.connect(self._update_estimate)

        form = QFormLayout()
        form.addRow("Context length:", self.context_spin)
        form.addRow("GPU layers:", self.gpu_spin)
        form.addRow("", self.offload_label)
        form.addRow("Threads:", self.threads_spin)

        self.model_label = QLabel()
        self.probe_label = QLabel()
        self.probe_label.setAccessibleName("Usable context")
        self.estimate_label = QLabel()
        self.warning_label = QLabel()
        self.error_label = QLabel()
        for label in (self.model_label, self.probe_label, self.estimate_label, self.warning_label,
                      self.error_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning_label.setStyleSheet("color: #b26a00;")
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setAccessibleName("Error")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button.setText("Load")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(QLabel("Model:"))
        top.addStretch()
        top.addWidget(open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.model_list, "On this computer")
        self.tabs.addTab(self.catalogue, "Download")
        self.tabs.addTab(self.server, "Server")
        self.tabs.currentChanged.connect(lambda _index: self._update_ok())
        layout.addWidget(self.tabs, stretch=1)
        # What the local model's choice means, hidden on the Server tab where it means nothing.
        self.local_details = QWidget()
        details = QVBoxLayout(self.local_details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(self.model_label)
        details.addWidget(self.probe_label)
        details.addLayout(form)
        details.addWidget(self.estimate_label)
        details.addWidget(self.warning_label)
        details.addWidget(self.error_label)
        layout.addWidget(self.local_details)
        layout.addWidget(self.buttons)
        self.resize(600, 600)

    def _add_section(self, text: str, italic: bool = False) -> QListWidgetItem:
        item = QListWidgetItem(text, self.model_list)
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # a label, not a choice
        font = QFont(self.model_list.font())
        font.setBold(not italic)
        font.setItalic(italic)
        item.setFont(font)
        return item

    def _add_entry(
        self, entry: ModelEntry, text: str, tooltip: str, row: int | None = None
    ) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(ENTRY_ROLE, entry)
        item.setToolTip(tooltip)
        if row is None:
            self.model_list.addItem(item)
        else:
            self.model_list.insertItem(row, item)
        return item

    # --- choosing -----------------------------------------------------------------------------

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def current_entry(self) -> ModelEntry | None:
        return self._entry_at(self.model_list.currentRow())

    def _entry_at(self, row: int) -> ModelEntry | None:
        if not 0 <= row < self.model_list.count():
            return None
        entry = self.model_list.item(row).data(ENTRY_ROLE)
        return entry if isinstance(entry, ModelEntry) else None

    def _select_initial(self, model: str | None) -> None:
        name = model or DEFAULT_MODEL
        if name in self._bundled_names:
            self.select_bundled(name)
        elif model:
            self.select_path(model)
        elif self._bundled_names:
            self.select_bundled(self._bundled_names[0])

    def select_bundled(self, name: str) -> None:
        for row in range(self.model_list.count()):
            entry = self._entry_at(row)
            if entry is not None and entry.bundled and entry.value == name:
                self.model_list.setCurrentRow(row)
                return

    def _row_of_path(self, path: Path | str) -> int | None:
        wanted = Path(path).expanduser().resolve()
        for row in range(self.model_list.count()):
            entry = self._entry_at(row)
            if entry is not None and not entry.bundled and Path(entry.value).resolve() == wanted:
                return row
        return None

    def select_path(self, path: Path | str) -> None:
        """Choose a GGUF file, adding it to the list if it is not there yet."""
        path = Path(path).expanduser().resolve()
        row = self._row_of_path(path)
        if row is None:
            if self._no_recent is not None:
                self.model_list.takeItem(self.model_list.row(self._no_recent))
                self._no_recent = None
            row = self.model_list.row(self._recent_header) + 1
            self._add_entry(ModelEntry(False, str(path)), f"{path.stem}\n{path}", str(path), row)
        self.model_list.setCurrentRow(row)

    def _open_file(self) -> None:
        current = self.current_entry()
        start = str(Path(current.value).parent) if current and not current.bundled else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a GGUF model", start, "GGUF models (*.gguf);;All files (*)"
        )
        if path:
            self.select_path(path)

    def chosen(self) -> AppSettings:
        """The settings with the chosen model, context length, GPU layers and threads."""
        entry = self.current_entry()
        model = self._settings.model
        if entry is not None:
            unchanged_default = entry.bundled and entry.value == DEFAULT_MODEL and model is None
            model = None if unchanged_default else entry.value
        return dataclasses.replace(
            self._settings,
            model=model,
            n_ctx=self.context_spin.value() or None,
            gpu_layers=self.gpu_spin.setting(),
            n_threads=self.threads_spin.value() or None,
        )

    @property
    def on_server_tab(self) -> bool:
        return self.tabs.currentWidget() is self.server

    def _update_ok(self) -> None:
        """Load needs a usable local model; Connect, on the Server tab, an address."""
        server = self.on_server_tab
        self.local_details.setVisible(not server)
        self.ok_button.setText("Connect" if server else "Load")
        self.ok_button.setEnabled(self.server.can_choose() if server else self._local_ok)

    def accept(self) -> None:
        if not self.ok_button.isEnabled():
            return  # Enter in a spin box must not get past a file we know is unusable
        if self.on_server_tab:
            engine = self.server.chosen()
            if engine is None:
                return  # the panel says why the address cannot be used
            self.engine_chosen.emit(engine)
        else:
            self.model_chosen.emit(self.chosen())
        super().accept()

    def done(self, result: int) -> None:
        """However the dialog closes, a download stops (its part stays for Resume)."""
        self.catalogue.shutdown()
        super().done(result)

    def task_runners(self) -> list[TaskRunner]:
        """Where its threads run (headers, probes, downloads): the window joins them when it closes,
        the dialog being gone by then or not."""
        return [self._runner, self.catalogue.runner, self.server.runner]

    def _downloaded(self, path: Path) -> None:
        """A verified download (or a model already here): choose it, on the first tab."""
        self.tabs.setCurrentIndex(0)
        self.select_path(path)

    # --- what the choice means ----------------------------------------------------------------

    @property
    def checking(self) -> bool:
        """True while the selected file's header is being read."""
        return self._checking is not None

    def _selection_changed(self) -> None:
        entry = self.current_entry()
        self.info, self._checking = None, None
        if entry is None:
            self.probe_label.hide()
            self._show_status(error="Choose a model.")
            return
        path, error, note = self._model_file(entry)
        self._show_probe(entry, path)
        if path is None:
            self._show_status(error=error, note=note)
            return
        header = self._headers.get(path)
        if header is not None:
            self._show_header(header)
            return
        self._checking = path
        self._show_status(note="Reading the model file…")
        if path not in self._reading:
            self._reading.add(path)
            self._runner.run(
                f"read header of {path.name}",
                lambda _progress, _cancel: read_header(path),
                on_done=lambda header: self._header_read(path, header),
                on_failed=lambda failure: self._header_read(
                    path, f"Cannot read {path}: {error_message(failure)}."),
            )

    def _model_file(self, entry: ModelEntry) -> tuple[Path | None, str, str]:
        """(the file to read, an error, a note); a bundled model may have no file yet."""
        if not entry.bundled:
            return Path(entry.value), "", ""
        try:
            path = bundled_file_if_ready(entry.value, self._models_dir)
        except EngineError as missing:
            return None, str(missing), ""
        if path is None:
            return None, "", (f"{entry.value} is put together from its packages the first time it loads; "
                              "its memory use is shown after that.")
        return path, "", ""

    @property
    def reading_probe(self) -> bool:
        """True while the selected file's probe record is being read."""
        return self._probe_for is not None and self._probe_for not in self._probes

    def _show_probe(self, entry: ModelEntry, path: Path | None) -> None:
        """What `longwit probe` measured for the model, or how to measure it; read once per file."""
        self._probe_for = path
        if path is None or path in self._probes:
            self.probe_label.setText(describe_probe(self._probes.get(path) if path else None, entry.value,
                                                   path))
            self.probe_label.show()
            return
        self.probe_label.hide()
        if path in self._probing:
            return
        self._probing.add(path)
        database = self._database

        def read(record: ProbeRecord | None) -> None:
            self._probing.discard(path)
            self._probes[path] = record
            current = self.current_entry()
            if current is not None and self._probe_for == path:
                self._show_probe(current, path)

        self._runner.run(f"read probe of {path.name}", lambda _progress, _cancel: read_probe(database, path),
                         on_done=read, on_failed=lambda _failure: read(None))

    def _header_read(self, path: Path, header: GgufInfo | str) -> None:
        self._reading.discard(path)
        self._headers[path] = header
        if self._checking == path:
            self._checking = None
            self._show_header(header)

    def _show_header(self, header: GgufInfo | str) -> None:
        if isinstance(header, str):
            self._show_status(error=header)
        else:
            self.info = header
            self._show_status(note=self._describe(header))

    def _show_status(self, error: str = "", note: str = "") -> None:
        # A context longer than the model was trained for only makes it ramble; cap the choice there.
        self.context_spin.setMaximum(self.info.context_length if self.info else MAX_CONTEXT)
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))
        self._local_ok = not error and not self.checking
        self._update_ok()
        self.model_label.setText(note)
        self.model_label.setVisible(bool(note))
        self._update_estimate()
        if not self.checking:
            self.checked.emit()

    @staticmethod
    def _describe(info: GgufInfo | None) -> str:
        if info is None:
            return ""
        template = "has a chat template" if info.chat_template else "no chat template (completion style)"
        return (f"{info.name or info.path.stem}: {info.architecture}, {info.block_count} layers, "
                f"trained for {info.context_length:,} tokens, {template}.")

    def weights_on_gpu(self) -> bool:
        setting = self.gpu_spin.value()
        return self._offload and setting != 0  # auto and -1 both mean all layers when offload works

    def _update_estimate(self) -> None:
        self.estimate = None
        if self.info is None:
            self.estimate_label.clear()
            self.estimate_label.hide()
            self.warning_label.hide()
            return
        self.estimate = estimate = estimate_memory(
            self.info, self.context_spin.value(), self._settings.kv_type, self.weights_on_gpu(),
            self._available(),
        )
        self.estimate_label.setText(estimate.summary())
        self.estimate_label.show()
        warning = estimate.warning()
        self.warning_label.setText(warning or "")
        self.warning_label.setVisible(warning is not None)
