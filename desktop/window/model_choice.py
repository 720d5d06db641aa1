"""What the window answers with: a local GGUF model or a remote engine, chosen in the model picker,
dropped on the window or opened from the File menu, loaded at start (the engine chosen last if it
answers, else the local model of the settings), and what the window shows when one loads or fails.

A failed choice never leaves the window without a model: the one answering keeps answering, and a
stored engine that is down at start falls back to the local model for this run only.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog

from desktop.window.app_settings import AppSettings, save_settings
from desktop.window.dialogs.model_picker import ModelPickerDialog, bundled_models
from desktop.window.welcome import loaded_state, loading_state
from engine.model_host import ModelCard
from engine.remote.remote_model import RemoteEngine
from engine.remote.stored_engine import store_engine, stored_engine
from storage import ModelUse, ModelUseLog
from storage.settings import SettingsStore

if TYPE_CHECKING:
    from desktop.window.main_window import MainWindow


class ModelChoice(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.picker: ModelPickerDialog | None = None
        # The remote engine answering (None: a local model), and the one asked for last, kept in
        # the settings table once it answers; a start that falls back from it keeps it stored.
        self.engine: RemoteEngine | None = None
        self._asked_engine: RemoteEngine | None = None
        self._store_choice = False  # whether the load asked for last is the person's new choice
        chat = window.chat
        chat.model_loading.connect(window.model_status.loading)
        chat.model_loading.connect(lambda name: window.pane.view.set_model_state(
            loading_state(name)))
        chat.model_loaded.connect(self._model_loaded)
        chat.model_failed.connect(self._model_failed)

    def load_model(self, name_or_path: str | None = None) -> None:
        window = self.window
        if name_or_path is not None and name_or_path != window.settings.model:
            window.settings = replace(window.settings, model=name_or_path)
        self._asked_engine = None
        window.chat.load_model(window.settings.model, window.settings.load_options())

    def choose_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a GGUF model", "",
                                              "GGUF models (*.gguf)")
        if path:
            self.choose_model(Path(path))

    def choose_model(self, path: Path | None = None) -> None:
        """The model picker (not modal): bundled and recent models, load settings, memory estimate;
        it opens once the recent models are read."""
        self.window.db_thread.run("reading the recent models", lambda db: ModelUseLog(db).recent(),
                                  lambda recent: self._open_picker(recent, path))

    def _open_picker(self, recent: list[ModelUse], path: Path | None) -> None:
        window = self.window
        picker = ModelPickerDialog(window.settings, bundled_models(), recent, window.home / "models",
                                   window, database=window.database,
                                   engine=self.engine or self._asked_engine,
                                   engine_in_use=self.engine is not None and path is None)
        window.dialog_runners = [r for r in window.dialog_runners if r.busy()] + picker.task_runners()
        if path is not None:
            picker.select_path(path)
        picker.model_chosen.connect(self._model_chosen)
        picker.engine_chosen.connect(self.connect_engine)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.picker = picker
        picker.open()

    def _model_chosen(self, settings: AppSettings) -> None:
        window = self.window
        window.settings = settings
        save_settings(window.qsettings, settings)
        self._asked_engine, self._store_choice = None, True  # back to a local model, once it loads
        window.chat.load_model(settings.model, settings.load_options())

    def start_model(self) -> None:
        """At start: the remote engine chosen last, if any (read off the GUI thread), else the
        local model of the settings (also when the setting cannot be read: the banner says why)."""
        self.window.db_thread.run("reading the remote engine setting",
                                  lambda db: stored_engine(SettingsStore(db)),
                                  lambda engine: self.connect_engine(engine, chosen=False) if engine
                                  else self.load_model(),
                                  lambda message: (self.window.banner.show_message(message, "error"),
                                                   self.load_model()))

    def connect_engine(self, engine: RemoteEngine, chosen: bool = True) -> None:
        """Answer through a remote engine; the current model answers until it is reached. `chosen`:
        the person chose it now (not the start reusing the stored choice)."""
        self._asked_engine, self._store_choice = engine, chosen
        self.window.chat.connect_engine(engine)

    def _remember_engine(self, card: ModelCard) -> None:
        """What answers now; a new choice goes to the settings table (the address, the model, the
        wait; never the key), a local model chosen in the picker forgets the engine."""
        asked = self._asked_engine
        self.engine = replace(asked, model=card.name) if card.engine is not None and asked else None
        if self._store_choice:
            self._store_choice = False
            engine = self.engine
            self.window.db_thread.run("remembering the remote engine",
                                      lambda db: store_engine(SettingsStore(db), engine))

    def _model_loaded(self, card: ModelCard) -> None:
        window = self.window
        self._remember_engine(card)
        window.model_status.show_model(card)
        window.pane.view.set_model_state(loaded_state(card))
        window.statusBar().showMessage(f"Loaded {card.name} in {card.load_s:.1f} s", 5000)
        window.memory.model = window.settings.model
        window.memory.refresh_if_watching()  # counted in the new model's tokens
        window.pane.prefill_if_pinned()

    def _model_failed(self, message: str) -> None:
        window = self.window
        card = window.chat.card
        window.model_status.show_model(card)
        window.pane.view.set_model_state(loaded_state(card))
        if self._asked_engine is not None:
            self._engine_failed(message)
            return
        keep = f" Still using {card.name}." if card else " Choose another model (Ctrl+Shift+O)."
        window.banner.show_message(f"The model could not be loaded: {message}{keep}", "error")

    def _engine_failed(self, message: str) -> None:
        """The engine could not be used: the model answering keeps answering; at start, when there
        is none, the local model loads and the stored engine is tried again at the next start."""
        window = self.window
        card, self._asked_engine, self._store_choice = window.chat.card, None, False
        if card is not None:
            window.banner.show_message(f"{message} Still using {card.name}.", "error")
            return
        window.banner.show_message(
            f"{message} Answering with the model on this computer meanwhile; the engine is tried "
            "again at the next start (or choose it with Ctrl+M).", "error")
        self.load_model()
