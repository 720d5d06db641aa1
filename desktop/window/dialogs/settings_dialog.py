"""The settings dialog: system prompt, sampling, voice, speech model, data folder, theme and debug
logging.

It edits a copy of AppSettings and hands back a new one (`result_settings()`); saving it and applying
it (a new voice, a new theme) is the caller's job. Files it is given are checked here, where the
person can still choose another: a Piper voice is useless without the .onnx.json beside it, and a
speech model folder without its model.bin, so those are refused with a message in the dialog rather
than failing later in the middle of a call.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.diagnostics.log_file import shown_path
from desktop.window.app_settings import SAMPLING_RANGES, AppSettings
from storage import log_path, longwit_home

BUNDLED_VOICE_TEXT = "Bundled voice: Joe (US English)"
SPEECH_MODELS = (("tiny.en", "tiny.en: English only, fastest"), ("base", "base: many languages, slower"))
THEME_NAMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))
ERROR_STYLE = "color: #c62828;"


def voice_file_problem(path: Path) -> str | None:
    """Why a file cannot be used as a Piper voice, or None if it can."""
    if not path.is_file():
        return f"There is no file at {path}."
    if path.suffix.lower() != ".onnx":
        return f"{path.name} is not a Piper voice; choose the voice's .onnx file."
    config = path.with_name(f"{path.name}.json")
    if not config.is_file():
        return (f"{path.name} needs its settings file {config.name} in the same folder; "
                "download both files of the voice and keep them together.")
    return None


def speech_folder_problem(path: Path) -> str | None:
    """Why a folder cannot be used as a faster-whisper model, or None if it can."""
    if not path.is_dir():
        return f"There is no folder at {path}."
    if not (path / "model.bin").is_file():
        return (f"{path.name} is not a faster-whisper model folder (it has no model.bin); choose the "
                "folder of a CTranslate2 Whisper model.")
    return None


class SettingsDialog(QDialog):
    """Edit the app's settings; `result_settings()` gives the edited copy."""

    settings_chosen = Signal(object)  # AppSettings, when the dialog is accepted

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._original = settings
        self._voice_path = settings.voice_path
        self._data_folder = settings.data_folder
        self._build()
        self._show(settings)

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self._prompt_group())
        layout.addWidget(self._sampling_group())
        layout.addWidget(self._speech_group())
        layout.addWidget(self._general_group())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.clicked.connect(self._button_clicked)
        layout.addWidget(self.buttons)
        self.resize(640, self.sizeHint().height())

    def _prompt_group(self) -> QGroupBox:
        group = QGroupBox("System prompt")
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setAccessibleName("System prompt")
        self.prompt_edit.setTabChangesFocus(True)
        self.prompt_edit.setMinimumHeight(70)
        QVBoxLayout(group).addWidget(self.prompt_edit)
        return group

    def _sampling_group(self) -> QGroupBox:
        group = QGroupBox("Sampling")
        grid = QGridLayout(group)  # two columns of three: the dialog stays short enough for small screens
        self.temperature_spin = self._double_spin("temperature", 0.05)
        self.top_p_spin = self._double_spin("top_p", 0.01)
        self.top_k_spin = self._int_spin("top_k", 1)
        self.top_k_spin.setSpecialValueText("Off")
        self.min_p_spin = self._double_spin("min_p", 0.01)
        self.repeat_penalty_spin = self._double_spin("repeat_penalty", 0.05)
        self.max_tokens_spin = self._int_spin("max_tokens", 128)
        fields = [
            ("Temperature:", self.temperature_spin), ("Top P:", self.top_p_spin),
            ("Top K:", self.top_k_spin), ("Min P:", self.min_p_spin),
            ("Repeat penalty:", self.repeat_penalty_spin), ("Longest answer:", self.max_tokens_spin),
        ]
        self.max_tokens_spin.setSuffix(" tokens")
        # The model's own recommendation (its GGUF's sampling keys, else its family's card); answers
        # about documents are greedy either way.
        self.model_sampling_box = QCheckBox("Use the model's recommended sampling")
        self.model_sampling_box.setAccessibleName("Use the model's recommended sampling")
        self._sampling_spins = [spin for _text, spin in fields if spin is not self.max_tokens_spin]
        self.model_sampling_box.toggled.connect(
            lambda on: [spin.setEnabled(not on) for spin in self._sampling_spins])
        grid.addWidget(self.model_sampling_box, 0, 0, 1, 4)
        for index, (text, spin) in enumerate(fields):
            row, column = divmod(index, 2)
            label = QLabel(text)
            label.setBuddy(spin)
            grid.addWidget(label, row + 1, column * 2)
            grid.addWidget(spin, row + 1, column * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return group

    @staticmethod
    def _double_spin(name: str, step: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(*SAMPLING_RANGES[name])
        spin.setDecimals(2)
        spin.setSingleStep(step)
        return spin

    @staticmethod
    def _int_spin(name: str, step: int) -> QSpinBox:
        spin = QSpinBox()
        low, high = SAMPLING_RANGES[name]
        spin.setRange(int(low), int(high))
        spin.setSingleStep(step)
        return spin

    def _speech_group(self) -> QGroupBox:
        group = QGroupBox("Voice")
        form = QFormLayout(group)
        self.voice_edit = QLineEdit()
        self.voice_edit.setReadOnly(True)
        self.voice_edit.setAccessibleName("Voice")
        self.voice_edit.setMinimumWidth(240)
        choose_voice = QPushButton("Choose…")
        choose_voice.setObjectName("chooseVoice")
        choose_voice.clicked.connect(self._browse_voice)
        bundled_voice = QPushButton("Bundled")
        bundled_voice.clicked.connect(lambda: self._set_voice(""))
        self.voice_error = self._error_label()
        form.addRow("Speaking voice:", self._row(self.voice_edit, choose_voice, bundled_voice))
        form.addRow("", self.voice_error)

        self.speech_combo = QComboBox()
        self.speech_combo.setAccessibleName("Speech recognition model")
        for value, text in SPEECH_MODELS:
            self.speech_combo.addItem(text, value)
        choose_folder = QPushButton("Folder…")
        choose_folder.setObjectName("chooseSpeechFolder")
        choose_folder.clicked.connect(self._browse_speech_folder)
        self.speech_error = self._error_label()
        form.addRow("Speech recognition:", self._row(self.speech_combo, choose_folder))
        form.addRow("", self.speech_error)
        return group

    def _general_group(self) -> QGroupBox:
        group = QGroupBox("General")
        form = QFormLayout(group)
        self.data_edit = QLineEdit()
        self.data_edit.setReadOnly(True)
        self.data_edit.setAccessibleName("Data folder")
        self.data_edit.setMinimumWidth(240)
        self.data_edit.setPlaceholderText(f"Default: {longwit_home()}")
        choose_data = QPushButton("Choose…")
        choose_data.setObjectName("chooseDataFolder")
        choose_data.clicked.connect(self._browse_data_folder)
        default_data = QPushButton("Default")
        default_data.clicked.connect(lambda: self._set_data_folder(""))
        self.data_note = QLabel("A new data folder is used after Longwit restarts.")
        self.data_note.setWordWrap(True)
        form.addRow("Data folder:", self._row(self.data_edit, choose_data, default_data))
        form.addRow("", self.data_note)
        self.theme_combo = QComboBox()
        self.theme_combo.setAccessibleName("Theme")
        for value, text in THEME_NAMES:
            self.theme_combo.addItem(text, value)
        form.addRow("Theme:", self.theme_combo)
        self.debug_box = QCheckBox("Debug logging (also documents, questions and answers)")
        self.debug_box.setToolTip(f"The log is {shown_path(log_path())}. Leave this off unless you are "
                                  "finding out what went wrong: the log then holds what you read and ask.")
        form.addRow("Log:", self.debug_box)
        return group

    @staticmethod
    def _row(*widgets: QWidget) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for index, widget in enumerate(widgets):
            layout.addWidget(widget, stretch=1 if index == 0 else 0)
        return row

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet(ERROR_STYLE)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.hide()
        return label

    # --- showing and reading settings ---------------------------------------------------------

    def _show(self, settings: AppSettings) -> None:
        self.prompt_edit.setPlainText(settings.system_prompt)
        self.model_sampling_box.setChecked(settings.model_sampling)
        for spin in self._sampling_spins:
            spin.setEnabled(not settings.model_sampling)
        self.temperature_spin.setValue(settings.temperature)
        self.top_p_spin.setValue(settings.top_p)
        self.top_k_spin.setValue(settings.top_k)
        self.min_p_spin.setValue(settings.min_p)
        self.repeat_penalty_spin.setValue(settings.repeat_penalty)
        self.max_tokens_spin.setValue(settings.max_tokens)
        self._set_voice(settings.voice_path)
        self._set_speech_model(settings.speech_model)
        self._set_data_folder(settings.data_folder)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        self.debug_box.setChecked(settings.debug_logging)
        for label in (self.voice_error, self.speech_error):
            label.hide()

    def result_settings(self) -> AppSettings:
        """The settings as edited; the model and how it loads are kept as they were."""
        return dataclasses.replace(
            self._original,
            system_prompt=self.prompt_edit.toPlainText(),
            model_sampling=self.model_sampling_box.isChecked(),
            # Rounded to what the spin boxes show, so 0.7 stays 0.7 and not 0.7000000000000001.
            temperature=round(self.temperature_spin.value(), 2),
            top_p=round(self.top_p_spin.value(), 2),
            top_k=self.top_k_spin.value(),
            min_p=round(self.min_p_spin.value(), 2),
            repeat_penalty=round(self.repeat_penalty_spin.value(), 2),
            max_tokens=self.max_tokens_spin.value(),
            voice_path=self._voice_path,
            speech_model=self.speech_combo.currentData(),
            data_folder=self._data_folder,
            theme=self.theme_combo.currentData(),
            debug_logging=self.debug_box.isChecked(),
        )

    def restore_defaults(self) -> None:
        """Every field this dialog shows back to its default (the model is not shown, so it stays)."""
        self._show(AppSettings())

    def accept(self) -> None:
        self.settings_chosen.emit(self.result_settings())
        super().accept()

    def _button_clicked(self, button: QAbstractButton) -> None:
        if self.buttons.buttonRole(button) == QDialogButtonBox.ButtonRole.ResetRole:
            self.restore_defaults()

    # --- files and folders --------------------------------------------------------------------

    def _set_voice(self, path: str) -> None:
        self._voice_path = path
        self.voice_edit.setText(path or BUNDLED_VOICE_TEXT)
        self.voice_edit.setToolTip(path)
        self.voice_error.hide()

    def choose_voice_file(self, path: Path | str) -> bool:
        """Use a Piper voice file if it is complete; otherwise say why and keep the current voice."""
        path = Path(path).expanduser()
        problem = voice_file_problem(path)
        if problem is not None:
            self.voice_error.setText(problem)
            self.voice_error.show()
            return False
        self._set_voice(str(path.resolve()))
        return True

    def _browse_voice(self) -> None:
        start = str(Path(self._voice_path).parent) if self._voice_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Choose a Piper voice", start,
                                              "Piper voices (*.onnx);;All files (*)")
        if path:
            self.choose_voice_file(path)

    def _set_speech_model(self, model: str) -> None:
        index = self.speech_combo.findData(model)
        if index < 0:
            self.speech_combo.addItem(f"Folder: {model}", model)
            index = self.speech_combo.count() - 1
        self.speech_combo.setCurrentIndex(index)
        self.speech_error.hide()

    def choose_speech_folder(self, path: Path | str) -> bool:
        """Use a faster-whisper model folder if it holds a model; otherwise say why."""
        path = Path(path).expanduser()
        problem = speech_folder_problem(path)
        if problem is not None:
            self.speech_error.setText(problem)
            self.speech_error.show()
            return False
        self._set_speech_model(str(path.resolve()))
        return True

    def _browse_speech_folder(self) -> None:
        title = "Choose a faster-whisper model folder"
        path = QFileDialog.getExistingDirectory(self, title, str(Path.home()))
        if path:
            self.choose_speech_folder(path)

    def _set_data_folder(self, folder: str) -> None:
        self._data_folder = folder
        self.data_edit.setText(folder)
        self.data_edit.setToolTip(folder or str(longwit_home()))

    def _browse_data_folder(self) -> None:
        start = self._data_folder or str(longwit_home())
        path = QFileDialog.getExistingDirectory(self, "Choose where Longwit keeps its data", start)
        if path:
            self._set_data_folder(str(Path(path).resolve()))
