"""The settings dialog: edits come back as AppSettings; incomplete voices and model folders are refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QPushButton

from desktop.window.app_settings import AppSettings
from desktop.window.dialogs.settings_dialog import BUNDLED_VOICE_TEXT, SettingsDialog

STARTING = AppSettings(model="/models/mine.gguf", n_ctx=4096, gpu_layers=0, n_threads=2)


def settings_dialog(qtbot, settings: AppSettings = STARTING) -> SettingsDialog:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def piper_voice(folder: Path, with_config: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    voice = folder / "en_GB-alan-low.onnx"
    voice.write_bytes(b"onnx")
    if with_config:
        voice.with_name(f"{voice.name}.json").write_text('{"audio": {"sample_rate": 16000}}')
    return voice


def test_unchanged_dialog_returns_the_same_settings(qtbot) -> None:
    assert settings_dialog(qtbot).result_settings() == STARTING


def test_edits_round_trip_into_the_result(qtbot, tmp_path: Path) -> None:
    dialog = settings_dialog(qtbot)
    voice = piper_voice(tmp_path / "voices")
    whisper = tmp_path / "whisper-small"
    whisper.mkdir()
    (whisper / "model.bin").write_bytes(b"ct2")

    dialog.prompt_edit.setPlainText("You are terse.\nAnswer in French.")
    dialog.temperature_spin.setValue(0.35)
    dialog.top_p_spin.setValue(0.8)
    dialog.top_k_spin.setValue(20)
    dialog.min_p_spin.setValue(0.1)
    dialog.repeat_penalty_spin.setValue(1.25)
    dialog.max_tokens_spin.setValue(300)
    assert dialog.choose_voice_file(voice)
    assert dialog.choose_speech_folder(whisper)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))

    result = dialog.result_settings()
    assert result == dataclasses.replace(
        STARTING, system_prompt="You are terse.\nAnswer in French.", temperature=0.35, top_p=0.8, top_k=20,
        min_p=0.1, repeat_penalty=1.25, max_tokens=300, voice_path=str(voice.resolve()),
        speech_model=str(whisper.resolve()), theme="dark",
    )
    assert dialog.voice_edit.text() == str(voice.resolve())

    dialog.speech_combo.setCurrentIndex(dialog.speech_combo.findData("base"))
    assert dialog.result_settings().speech_model == "base"


def test_voice_without_its_json_is_refused_with_a_message(qtbot, tmp_path: Path) -> None:
    dialog = settings_dialog(qtbot)
    lonely = piper_voice(tmp_path / "voices", with_config=False)
    assert not dialog.choose_voice_file(lonely)
    assert not dialog.voice_error.isHidden()
    assert "en_GB-alan-low.onnx.json" in dialog.voice_error.text()
    assert dialog.result_settings().voice_path == ""  # still the bundled voice
    assert dialog.voice_edit.text() == BUNDLED_VOICE_TEXT

    not_a_voice = tmp_path / "notes.txt"
    not_a_voice.write_text("hello")
    assert not dialog.choose_voice_file(not_a_voice)
    assert "not a Piper voice" in dialog.voice_error.text()


def test_choose_button_goes_through_the_file_dialog_and_validates(qtbot, tmp_path: Path,
                                                                  monkeypatch) -> None:
    dialog = settings_dialog(qtbot)
    lonely = piper_voice(tmp_path / "voices", with_config=False)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(lonely), ""))
    dialog.findChild(QPushButton, "chooseVoice").click()
    assert not dialog.voice_error.isHidden()
    assert dialog.result_settings().voice_path == ""

    voice = piper_voice(tmp_path / "complete")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(voice), ""))
    dialog.findChild(QPushButton, "chooseVoice").click()
    assert dialog.voice_error.isHidden()
    assert dialog.result_settings().voice_path == str(voice.resolve())


def test_data_folder_is_chosen_through_a_folder_dialog(qtbot, tmp_path: Path, monkeypatch) -> None:
    dialog = settings_dialog(qtbot)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(tmp_path))
    dialog.findChild(QPushButton, "chooseDataFolder").click()
    assert dialog.result_settings().data_folder == str(tmp_path.resolve())
    assert "after Longwit restarts" in dialog.data_note.text()


def test_speech_folder_without_a_model_is_refused(qtbot, tmp_path: Path) -> None:
    dialog = settings_dialog(qtbot)
    assert not dialog.choose_speech_folder(tmp_path)
    assert not dialog.speech_error.isHidden() and "model.bin" in dialog.speech_error.text()
    assert dialog.result_settings().speech_model == "tiny.en"


def test_restore_defaults_resets_what_the_dialog_shows(qtbot, tmp_path: Path) -> None:
    edited = dataclasses.replace(
        STARTING, system_prompt="x", temperature=1.5, top_k=3, voice_path=str(piper_voice(tmp_path)),
        speech_model="base", data_folder=str(tmp_path), theme="light",
    )
    dialog = settings_dialog(qtbot, edited)
    assert dialog.result_settings() == edited
    dialog.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).click()
    model_fields = {"model": STARTING.model, "n_ctx": 4096, "gpu_layers": 0, "n_threads": 2}
    assert dialog.result_settings() == dataclasses.replace(AppSettings(), **model_fields)


def test_accepting_emits_the_settings(qtbot) -> None:
    dialog = settings_dialog(qtbot)
    dialog.max_tokens_spin.setValue(64)
    with qtbot.waitSignal(dialog.settings_chosen, timeout=1000) as signal:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert signal.args[0].max_tokens == 64


def test_the_models_own_sampling_greys_out_the_numbers(qtbot) -> None:
    dialog = settings_dialog(qtbot)
    assert dialog.model_sampling_box.isChecked()  # the default
    assert not dialog.temperature_spin.isEnabled() and dialog.max_tokens_spin.isEnabled()
    dialog.model_sampling_box.setChecked(False)
    dialog.temperature_spin.setValue(0.4)
    assert dialog.temperature_spin.isEnabled()
    result = dialog.result_settings()
    assert not result.model_sampling and result.temperature == 0.4
