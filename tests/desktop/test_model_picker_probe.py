"""The model picker shows what `longwit probe` measured for the selected model, read from SQLite off
the GUI thread, or how to measure it."""

from __future__ import annotations

from pathlib import Path

from desktop.window.app_settings import AppSettings
from desktop.window.dialogs.model_picker import ModelPickerDialog, bundled_models
from engine.catalog import DEFAULT_MODEL
from storage import ProbeStore, open_database


def open_picker(qtbot, models_dir: Path, settings: AppSettings | None = None) -> ModelPickerDialog:
    dialog = ModelPickerDialog(settings or AppSettings(), bundled_models(), [], models_dir,
                               available_memory=lambda: 16 * 10**9, offload_supported=False)
    qtbot.addWidget(dialog)
    # Nothing has run the event loop yet: the record is being read on another thread.
    assert dialog.reading_probe and dialog.probe_label.isHidden()
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.reading_probe and not dialog.checking, timeout=10_000)
    return dialog


def test_picker_shows_the_stored_probe(qtbot, models_dir: Path, chat_model_path: Path,
                                       longwit_home: Path) -> None:
    record = ProbeStore(open_database(longwit_home / "longwit.db")).record(
        chat_model_path, 1536, 8192, 7600, 9.8, {"cells": []}, "0.3.36")
    dialog = open_picker(qtbot, models_dir)
    assert dialog.probe_label.text() == f"usable ~1,536 tokens (probed {record.probed_date})"
    assert dialog.probe_label.isVisible()


def test_picker_says_how_to_probe_a_model_never_probed(qtbot, models_dir: Path, tmp_path: Path) -> None:
    dialog = open_picker(qtbot, models_dir)
    assert dialog.probe_label.text() == (
        f"usable ~1,024 tokens (measured for this bundled model; `longwit probe --model "
        f"{DEFAULT_MODEL}` measures it here)")
    # Gemma not yet joined from its packages has no file to have probed; nothing is built to say so.
    empty = tmp_path / "models"
    other = ModelPickerDialog(AppSettings(model="gemma-3-270m"), bundled_models(), [], empty,
                              offload_supported=False)
    qtbot.addWidget(other)
    assert other.probe_label.text() == (
        "not probed: run `longwit probe --model gemma-3-270m` (until then ~2,048 tokens are assumed)")
    assert not empty.exists()
