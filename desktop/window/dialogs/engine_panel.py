"""The model picker's Server tab: a remote engine, any OpenAI-compatible server (llama.cpp's
llama-server, vLLM, Ollama, LM Studio, another Longwit's `longwit serve`), in place of a local model,
as `--engine URL` is on the command line (engine/remote).

The person types the server's address; *List models* asks its /v1/models on a `TaskRunner` thread
(never the GUI thread: a server that is down takes up to the connect timeout to say so) and shows
the models and where the API key comes from, or one line saying what went wrong. The key is looked
up as the command line does (LONGWIT_ENGINE_API_KEY, OPENAI_API_KEY, the OS keyring) and only its
source is shown; it is never typed here, stored or logged. `chosen()` is the RemoteEngine to
connect to; connecting is the window's business, like loading a local model.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.diagnostics.error_report import error_message
from desktop.window.background import TaskRunner
from engine.remote.api_key import ENV_NAMES, KEYRING_SERVICE, find_api_key
from engine.remote.client import EngineClient, EngineTimeouts, engine_root
from engine.remote.errors import RemoteEngineError
from engine.remote.remote_model import RemoteEngine, ServedModel, list_models

MODEL_ROLE = Qt.ItemDataRole.UserRole
LIST_WAIT_S = 15.0  # a server that takes longer than this to list its models is not answering
MAX_CONTEXT = 1 << 20
PLACEHOLDER = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class EngineListing:
    """What a server lists: its models, and where the key sent to it came from."""

    url: str
    models: list[ServedModel]
    key: str


def key_line(source: str | None) -> str:
    """Where the key comes from, never the key itself."""
    if source is None:
        names = " or ".join(ENV_NAMES)
        return (f"No API key: servers that need one get it from {names}, or the keyring "
                f"(keyring set {KEYRING_SERVICE} http://host:port).")
    return f"Sending {source} (only in the Authorization header; never stored)."


def list_engine(url: str, read_s: float) -> EngineListing:
    """Ask the server for its models; off the GUI thread. Any failure is a RemoteEngineError line."""
    root = engine_root(url)
    key = find_api_key(root)
    client = EngineClient(root, key, EngineTimeouts(read_s=read_s))
    try:
        return EngineListing(client.url, list_models(client), key_line(None if key is None else str(key)))
    finally:
        client.close()


def model_text(model: ServedModel) -> str:
    return model.id if model.context is None else f"{model.id} · {model.context:,}-token context"


class EnginePanel(QWidget):
    """Address, the server's models, the window where the server does not say, and the wait."""

    listed = Signal()  # a listing ended, with models or with an error line
    changed = Signal()  # the address was edited: whether it can be chosen may have changed

    def __init__(self, engine: RemoteEngine | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = TaskRunner(self)
        self._asked = 0  # listings asked for; only the last one's answer is shown
        self._listed_url: str | None = None  # the address whose models are shown
        self.initial = engine or RemoteEngine("")  # the engine in use or used last, if any
        self._build(self.initial)

    def _build(self, engine: RemoteEngine) -> None:
        self.address = QLineEdit(engine.url)
        self.address.setPlaceholderText(PLACEHOLDER)
        self.address.setAccessibleName("Server address")
        self.address.setClearButtonEnabled(True)
        self.address.returnPressed.connect(self.list_models)
        self.address.textChanged.connect(lambda _text: self.changed.emit())
        self.list_button = QPushButton("List models")
        self.list_button.clicked.connect(self.list_models)
        self.models = QListWidget()
        self.models.setAccessibleName("Models on the server")
        self.context_spin = QSpinBox()
        self.context_spin.setRange(0, MAX_CONTEXT)
        self.context_spin.setSingleStep(1024)
        self.context_spin.setSpecialValueText("As the server says (else 8,192)")
        self.context_spin.setSuffix(" tokens")
        self.context_spin.setValue(engine.n_ctx or 0)
        self.wait_spin = QSpinBox()
        self.wait_spin.setRange(1, 3600)
        self.wait_spin.setSuffix(" s")
        self.wait_spin.setValue(round(engine.timeouts.read_s))
        self.wait_spin.setToolTip("The longest wait for the server's next word (a CPU server reading "
                                  "a long document says nothing until its first token).")
        self.key_label = QLabel(key_line(None))
        self.status = QLabel()
        self.error_label = QLabel()
        self.error_label.setAccessibleName("Server error")
        self.error_label.setStyleSheet("color: #c62828;")
        for label in (self.key_label, self.status, self.error_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(self.list_button)
        form = QFormLayout()
        form.addRow("Context:", self.context_spin)
        form.addRow("Wait up to:", self.wait_spin)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("An OpenAI-compatible server (llama.cpp, vLLM, Ollama, LM Studio, "
                                "another Longwit) answers instead of a model on this computer:"))
        layout.addLayout(row)
        layout.addWidget(self.key_label)
        layout.addWidget(self.models, 1)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.error_label)

    def showEvent(self, event: QShowEvent) -> None:
        """Opened on a server named before: list its models at once."""
        super().showEvent(event)
        if self.address.text().strip() and self._listed_url is None and not self.listing:
            self.list_models()

    @property
    def listing(self) -> bool:
        return self.runner.busy()

    def list_models(self) -> None:
        url = self.address.text().strip()
        if not url:
            self.show_error("Type the server's address, e.g. " + PLACEHOLDER + ".")
            return
        self._asked += 1
        asked = self._asked
        read_s = min(float(self.wait_spin.value()), LIST_WAIT_S)
        self.status.setText(f"Asking {url} for its models…")
        self.error_label.hide()
        self.runner.run("list engine models", lambda _progress, _cancel: list_engine(url, read_s),
                        on_done=lambda listing: self._listed(asked, listing),
                        on_failed=lambda error: self._failed(asked, error))

    def _listed(self, asked: int, listing: EngineListing) -> None:
        if asked != self._asked:
            return  # the address changed meanwhile: a later listing answers
        self._listed_url = listing.url
        self.models.clear()
        for model in listing.models:
            item = QListWidgetItem(model_text(model), self.models)
            item.setData(MODEL_ROLE, model.id)
            if model.id == self.initial.model or len(listing.models) == 1:
                self.models.setCurrentItem(item)
        count = len(listing.models)
        self.status.setText(f"{listing.url} serves {count} model{'s' * (count != 1)}."
                            if count else f"{listing.url} lists no models.")
        self.key_label.setText(listing.key)
        self.listed.emit()

    def _failed(self, asked: int, error: BaseException) -> None:
        if asked != self._asked:
            return
        self._listed_url = None
        self.models.clear()
        self.status.clear()
        self.show_error(error_message(error))
        self.listed.emit()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def can_choose(self) -> bool:
        return bool(self.address.text().strip())

    def chosen_model(self) -> str | None:
        item = self.models.currentItem()
        return item.data(MODEL_ROLE) if item is not None else None

    def chosen(self) -> RemoteEngine | None:
        """The engine to connect to, or None with the reason shown (an address it cannot use)."""
        try:
            url = engine_root(self.address.text())
        except RemoteEngineError as error:
            self.show_error(str(error))
            return None
        if self._listed_url == url:
            model = self.chosen_model()
        else:  # not listed: the model used last on this server, else the one it serves
            model = self.initial.model if self.initial.url and engine_root(self.initial.url) == url \
                else None
        return RemoteEngine(url, model, self.context_spin.value() or None,
                            EngineTimeouts(read_s=float(self.wait_spin.value())))

